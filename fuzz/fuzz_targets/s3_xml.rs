//! S3's XML answers, as a server (or anything in the middle) may send them: the element tree,
//! `<Error>` documents (also inside a 200), InitiateMultipartUploadResult,
//! CompleteMultipartUploadResult and ListMultipartUploadsResult, and STS's
//! AssumeRoleWithWebIdentity answer. Malformed input must give an error value, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3up::checksum::ChecksumAlgorithm;
use s3up::s3::{ops, xml};

const ALGORITHMS: [Option<ChecksumAlgorithm>; 5] = [
    None,
    Some(ChecksumAlgorithm::Crc32),
    Some(ChecksumAlgorithm::Crc32c),
    Some(ChecksumAlgorithm::Crc64Nvme),
    Some(ChecksumAlgorithm::Sha256),
];

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = xml::parse(data) {
        // The tree is bounded by the input: no node without a name came from a tag.
        assert!(root.children.len() <= data.len());
        let _ = root.child_text("Code");
    }
    if let Some(e) = xml::error_body(data) {
        let _ = (e.code.len(), e.message.len(), e.region, e.server_time);
    }
    let _ = ops::parse_upload_id(data);
    let algorithm = ALGORITHMS[usize::from(data.first().copied().unwrap_or(0)) % ALGORITHMS.len()];
    let _ = ops::parse_complete(data, algorithm);
    if let Ok(page) = ops::parse_list_uploads(data) {
        let _ = page.uploads.len();
    }
    for status in [200, 400, 403] {
        let _ = s3up::credentials::web_identity::parse_response(status, data);
    }
});
