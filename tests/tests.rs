//! The single integration-test binary (one link step instead of one per file).

mod sigv4_vectors;
mod util;

mod cp;
mod credentials_chain;
mod demo;
mod doctor_mpu;
mod fault_matrix;
mod interrupt;
mod presign;
mod restore;
mod server;
mod tar;
