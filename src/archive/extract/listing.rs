//! A member as `tar -t` and `tar -tv` show it. Names are printed with control characters and
//! backslashes escaped, so a hostile name cannot forge lines or drive the terminal. Times are
//! UTC (a static binary has no time zone database).

use std::fmt::Write as _;

use super::members::{Kind, Member};

impl Member {
    /// The name as `tar -t` prints it.
    pub fn shown_name(&self) -> String {
        escape(&self.name)
    }

    /// The `tar -tv` line: `-rwxr-xr-x 1000/1000      512 2020-01-01 00:00:00 name`, with
    /// `-> target` for symlinks and `link to target` for hard links.
    pub fn long_listing(&self) -> String {
        let size = match self.kind {
            Kind::CharDevice | Kind::BlockDevice => {
                format!("{},{}", self.device.0, self.device.1)
            }
            _ => self.size.to_string(),
        };
        let mut line = format!(
            "{} {}/{} {size:>10} {} {}",
            mode_string(&self.kind, self.mode),
            self.uid,
            self.gid,
            utc(self.mtime),
            self.shown_name()
        );
        match self.kind {
            Kind::Symlink => {
                let _ = write!(line, " -> {}", escape(&self.link));
            }
            Kind::HardLink => {
                let _ = write!(line, " link to {}", escape(&self.link));
            }
            _ => {}
        }
        line
    }
}

impl Kind {
    /// A one-word name (`--json`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Directory => "directory",
            Self::Symlink => "symlink",
            Self::HardLink => "hardlink",
            Self::CharDevice => "char-device",
            Self::BlockDevice => "block-device",
            Self::Fifo => "fifo",
            Self::Unsupported(_) => "unsupported",
        }
    }
}

fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// `drwxr-xr-x`, with `s`/`S` for setuid/setgid and `t`/`T` for sticky.
fn mode_string(kind: &Kind, mode: u32) -> String {
    let kind = match kind {
        Kind::Directory => 'd',
        Kind::Symlink => 'l',
        Kind::HardLink => 'h',
        Kind::CharDevice => 'c',
        Kind::BlockDevice => 'b',
        Kind::Fifo => 'p',
        Kind::File => '-',
        Kind::Unsupported(_) => '?',
    };
    let mut s = String::from(kind);
    for (shift, special, on, off) in [
        (6, 0o4000, 's', 'S'),
        (3, 0o2000, 's', 'S'),
        (0, 0o1000, 't', 'T'),
    ] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(match (mode & special != 0, bits & 1 != 0) {
            (true, true) => on,
            (true, false) => off,
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// `2020-01-01 00:00:00` (UTC); raw seconds before 1970.
fn utc(secs: i64) -> String {
    match u64::try_from(secs) {
        Ok(s) => {
            let iso =
                crate::time::format_time(std::time::UNIX_EPOCH + std::time::Duration::from_secs(s));
            iso.trim_end_matches('Z').replacen('T', " ", 1)
        }
        Err(_) => format!("@{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(kind: Kind, mode: u32) -> Member {
        Member {
            name: b"dir/a\nb".to_vec(),
            kind,
            link: b"target".to_vec(),
            size: 512,
            mode,
            uid: 1000,
            gid: 100,
            mtime: 1_577_836_800,
            mtime_nsec: 0,
            device: (0, 0),
            offset: 0,
        }
    }

    #[test]
    fn long_listing_like_tar_tv() {
        assert_eq!(
            member(Kind::File, 0o4755).long_listing(),
            "-rwsr-xr-x 1000/100        512 2020-01-01 00:00:00 dir/a\\nb"
        );
        assert_eq!(
            member(Kind::Symlink, 0o777).long_listing(),
            "lrwxrwxrwx 1000/100        512 2020-01-01 00:00:00 dir/a\\nb -> target"
        );
        assert_eq!(mode_string(&Kind::Directory, 0o1750), "drwxr-x--T");
        assert_eq!(utc(-5), "@-5");
    }
}
