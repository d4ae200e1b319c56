//! The single integration-test binary (one link step instead of one per file).

mod sigv4_vectors;
mod util;

mod cp;
mod credentials_chain;
mod demo;
mod doctor_mpu;
mod download;
mod fault_matrix;
mod from_cmd;
mod interrupt;
mod ls_rm;
mod payload_signing;
mod presign;
mod restore;
mod restore_s3;
mod server;
mod sync;
mod tar;
