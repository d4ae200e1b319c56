//! Tar headers: POSIX ustar, preceded by a PAX extended header (`x`) when a field does not fit
//! (names beyond ustar's 100 + 155 bytes, link targets beyond 100, sizes from 8 GiB, large ids,
//! times before 1970). GNU tar, bsdtar and the `tar` crate all read this format.
//!
//! Pure: bytes in, bytes out; it never touches the file system.

use tar::{EntryType, Header};

pub(super) const BLOCK: usize = 512;

const NAME: std::ops::Range<usize> = 0..100;
const LINKNAME: std::ops::Range<usize> = 157..257;
const PREFIX: std::ops::Range<usize> = 345..500;
/// The largest value of an 11-digit octal field (size, mtime): 8 GiB - 1.
const MAX_OCTAL_11: u64 = 0o777_7777_7777;
/// The largest value of a 7-digit octal field (uid, gid).
const MAX_OCTAL_7: u64 = 0o777_7777;

/// One archive member, as the header describes it.
#[derive(Debug, Clone)]
pub(super) struct Entry<'a> {
    /// Member name; directories end with `/`.
    pub name: &'a [u8],
    pub kind: EntryType,
    /// Symlink target or hard-link name.
    pub link: Option<&'a [u8]>,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Seconds since the epoch (negative before 1970).
    pub mtime: i64,
    /// Device numbers of character and block devices.
    pub device: Option<(u32, u32)>,
}

/// The bytes that precede the member's data: the PAX header (if needed) and the ustar header.
pub(super) fn encode(e: &Entry<'_>) -> Vec<u8> {
    let mut records: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut h = Header::new_ustar();
    if !set_name(&mut h, e.name) {
        records.push(("path", e.name.to_vec()));
        // Readers that know PAX use the record; the field holds the name's tail for others.
        set_name(&mut h, tail(e.name, NAME.len()));
    }
    if let Some(link) = e.link {
        if link.len() > LINKNAME.len() {
            records.push(("linkpath", link.to_vec()));
        } else {
            h.as_mut_bytes()[LINKNAME][..link.len()].copy_from_slice(link);
        }
    }
    if e.size > MAX_OCTAL_11 {
        records.push(("size", e.size.to_string().into_bytes()));
    }
    if e.uid > MAX_OCTAL_7 {
        records.push(("uid", e.uid.to_string().into_bytes()));
    }
    if e.gid > MAX_OCTAL_7 {
        records.push(("gid", e.gid.to_string().into_bytes()));
    }
    let mtime = u64::try_from(e.mtime).ok().filter(|t| *t <= MAX_OCTAL_11);
    if mtime.is_none() {
        records.push(("mtime", e.mtime.to_string().into_bytes()));
    }
    if records
        .iter()
        .any(|(k, v)| matches!(*k, "path" | "linkpath") && std::str::from_utf8(v).is_err())
    {
        // PAX values are UTF-8 unless declared otherwise; GNU tar reads raw bytes with this.
        records.insert(0, ("hdrcharset", b"BINARY".to_vec()));
    }
    h.set_entry_type(e.kind);
    h.set_mode(e.mode & 0o7777);
    // The tar crate writes GNU base-256 where octal overflows; PAX readers use the records.
    h.set_size(e.size);
    h.set_uid(e.uid);
    h.set_gid(e.gid);
    h.set_mtime(mtime.unwrap_or(0));
    if let Some((major, minor)) = e.device {
        // Cannot fail on a ustar header.
        let _ = h.set_device_major(major);
        let _ = h.set_device_minor(minor);
    }
    h.set_cksum();

    let mut out = Vec::with_capacity(BLOCK * 2);
    if !records.is_empty() {
        out.extend_from_slice(&pax_header(e, &records));
    }
    out.extend_from_slice(h.as_bytes());
    out
}

/// Bytes of zeros that pad `len` data bytes to a whole block.
pub(super) fn padding(len: u64) -> usize {
    let rem = (len % BLOCK as u64) as usize;
    if rem == 0 {
        0
    } else {
        BLOCK - rem
    }
}

/// Puts `name` in the ustar name field, or splits it at a `/` into prefix and name; false
/// when it fits neither way.
fn set_name(h: &mut Header, name: &[u8]) -> bool {
    let bytes = h.as_mut_bytes();
    if name.len() <= NAME.len() {
        bytes[NAME][..name.len()].copy_from_slice(name);
        return true;
    }
    // The prefix holds up to 155 bytes before a '/', the name field the (non-empty) rest.
    let split = (1..name.len().min(PREFIX.len() + 1))
        .filter(|&i| name[i] == b'/')
        .find(|&i| name.len() - i - 1 <= NAME.len() && i + 1 < name.len());
    let Some(i) = split else {
        return false;
    };
    bytes[PREFIX][..i].copy_from_slice(&name[..i]);
    bytes[NAME][..name.len() - i - 1].copy_from_slice(&name[i + 1..]);
    true
}

fn tail(name: &[u8], max: usize) -> &[u8] {
    &name[name.len().saturating_sub(max)..]
}

/// A PAX `x` header and its records, padded to whole blocks.
fn pax_header(e: &Entry<'_>, records: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (key, value) in records {
        body.extend_from_slice(&pax_record(key, value));
    }
    let base = e.name.strip_suffix(b"/").unwrap_or(e.name);
    let base = base.rsplit(|&b| b == b'/').next().unwrap_or(base);
    let mut name = b"PaxHeaders/".to_vec();
    name.extend_from_slice(tail(base, NAME.len() - name.len()));
    let mut x = Header::new_ustar();
    set_name(&mut x, &name);
    x.set_entry_type(EntryType::XHeader);
    x.set_mode(0o644);
    x.set_size(body.len() as u64);
    x.set_mtime(u64::try_from(e.mtime).unwrap_or(0).min(MAX_OCTAL_11));
    x.set_cksum();
    let mut out = x.as_bytes().to_vec();
    out.extend_from_slice(&body);
    out.resize(out.len() + padding(body.len() as u64), 0);
    out
}

/// `"LEN key=value\n"`, where LEN counts the whole record, its own digits included.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3; // ' ', '=', '\n'
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    let mut out = format!("{len} {key}=").into_bytes();
    out.extend_from_slice(value);
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &[u8]) -> Entry<'_> {
        Entry {
            name,
            kind: EntryType::Regular,
            link: None,
            size: 3,
            mode: 0o755,
            uid: 1000,
            gid: 1000,
            mtime: 1_700_000_000,
            device: None,
        }
    }

    #[test]
    fn record_lengths_count_their_own_digits() {
        assert_eq!(pax_record("path", b"abc"), b"12 path=abc\n");
        // 98 bytes of key and value: "100 " would make 101, so it is "101 ".
        let r = pax_record("path", &[b'a'; 91]);
        assert_eq!(r.len(), 101);
        assert!(r.starts_with(b"101 path="));
        let r = pax_record("path", &[b'a'; 90]);
        assert_eq!(r.len(), 99);
        assert!(r.starts_with(b"99 path="));
    }

    #[test]
    fn short_split_and_long_names() {
        let h = encode(&file(b"a/b"));
        assert_eq!(h.len(), BLOCK);
        let split: Vec<u8> = [&[b'd'; 120][..], b"/", &[b'f'; 90][..]].concat();
        let h = encode(&file(&split));
        assert_eq!(h.len(), BLOCK, "splits into prefix and name");
        let long = vec![b'x'; 300];
        let h = encode(&file(&long));
        assert_eq!(
            h.len(),
            BLOCK * 3,
            "pax header, one record block, ustar header"
        );
        assert_eq!(h[156], b'x');
    }

    #[test]
    fn the_tar_crate_reads_what_we_write() {
        let long: Vec<u8> = format!("{}/{}", "d".repeat(200), "é".repeat(60)).into_bytes();
        let entries = [
            file(&long),
            file(b"big"),
            Entry {
                mtime: -86_400,
                uid: 5_000_000,
                ..file(b"old")
            },
        ];
        let mut archive = Vec::new();
        for e in &entries {
            archive.extend_from_slice(&encode(&Entry {
                size: 0,
                ..e.clone()
            }));
        }
        archive.extend_from_slice(&[0u8; BLOCK * 2]);
        let mut ar = tar::Archive::new(&archive[..]);
        let mut names = Vec::new();
        for entry in ar.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            names.push(entry.path_bytes().into_owned());
            let pax: Vec<(String, String)> = entry
                .pax_extensions()
                .expect("pax")
                .into_iter()
                .flatten()
                .map(|x| {
                    let x = x.expect("ext");
                    (
                        x.key().expect("key").to_owned(),
                        x.value().expect("value").to_owned(),
                    )
                })
                .collect();
            if names.len() == 3 {
                assert!(pax.contains(&("mtime".into(), "-86400".into())), "{pax:?}");
                assert!(pax.contains(&("uid".into(), "5000000".into())), "{pax:?}");
            }
        }
        assert_eq!(names, vec![long.clone(), b"big".to_vec(), b"old".to_vec()]);
        let big = encode(&Entry {
            size: 9 << 30,
            ..file(b"big")
        });
        let needle = b"size=9663676416\n";
        assert!(big.windows(needle.len()).any(|w| w == needle));
    }
}
