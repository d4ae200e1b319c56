//! S3's side of the protocol as plain values: addresses, request descriptions, XML documents.
//! No I/O and no signing here.

pub mod addr;
pub mod delete;
pub mod errors;
pub mod list;
pub mod object;
pub mod ops;
pub mod xml;
