//! Member names → paths inside the restore directory, and which members to restore.
//!
//! A name becomes a list of components: a leading `/` removed (with a warning, as GNU tar
//! does), `--strip-components` applied (counted as GNU tar counts, `.` included), then empty
//! and `.` components dropped and any `..` component refused.
//! The components never contain `/` or NUL and are never `.` or `..`, so joined under the
//! restore directory they stay inside it (symlinks aside: the file system layer never follows
//! them). Pure: no file system access.

use std::collections::HashSet;

/// Where a member goes.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Placed {
    /// Components below the restore directory; empty for the directory itself (`./`).
    Inside(Vec<Vec<u8>>),
    /// `--strip-components` removed the whole name: the member is skipped (as GNU tar does).
    StrippedAway,
    /// Not restored; the text says why.
    Refused(String),
}

/// Turns member names (and hard-link targets) into paths, warning once per removed prefix.
#[derive(Debug, Default)]
pub(super) struct Namer {
    strip: usize,
    warned: HashSet<&'static str>,
}

impl Namer {
    pub(super) fn new(strip: usize) -> Self {
        Self {
            strip,
            warned: HashSet::new(),
        }
    }

    /// Where the member named `name` goes.
    pub(super) fn place(&mut self, name: &[u8]) -> Placed {
        if name.contains(&0) {
            return Placed::Refused("its name contains a NUL byte".into());
        }
        if name.starts_with(b"/") && self.warned.insert("/") {
            log::warn!("removing leading '/' from member names");
        }
        // GNU tar strips whole components first, `.` counted (so `./top/a` loses `.`), and
        // only then looks at what is left.
        let raw: Vec<&[u8]> = name
            .split(|&b| b == b'/')
            .filter(|p| !p.is_empty())
            .collect();
        if self.strip > 0 && raw.len() <= self.strip {
            return Placed::StrippedAway;
        }
        let mut parts = Vec::new();
        for part in &raw[self.strip.min(raw.len())..] {
            match *part {
                b"." => {}
                b".." => {
                    return Placed::Refused(
                        "its name has a '..' component, which could reach outside the directory"
                            .into(),
                    )
                }
                _ => parts.push(part.to_vec()),
            }
        }
        Placed::Inside(parts)
    }
}

/// `PATHS...` and `--exclude`: which members to restore (or list).
#[derive(Debug)]
pub(super) struct Selection {
    /// Each PATH as components, and whether a member matched it.
    paths: Vec<(String, Vec<Vec<u8>>, bool)>,
    excludes: Vec<String>,
}

impl Selection {
    pub(super) fn new(paths: &[String], excludes: &[String]) -> Self {
        Self {
            paths: paths
                .iter()
                .map(|p| (p.clone(), components(p.as_bytes()), false))
                .collect(),
            excludes: excludes.to_vec(),
        }
    }

    /// True when `name` is to be restored: it is (under) one of the PATHs, if any were given,
    /// and neither it nor a directory above it matches an `--exclude` pattern (GNU tar's
    /// rule: excluding a directory excludes what is in it).
    pub(super) fn wants(&mut self, name: &[u8]) -> bool {
        let parts = components(name);
        let excluded = (1..=parts.len()).any(|n| {
            let prefix = parts[..n].join(&b'/');
            super::super::excluded(&self.excludes, &prefix)
        });
        if excluded {
            return false;
        }
        if self.paths.is_empty() {
            return true;
        }
        let mut wanted = false;
        for (_, path, matched) in &mut self.paths {
            if parts.starts_with(path) {
                *matched = true;
                wanted = true;
            }
        }
        wanted
    }

    /// The PATHs no member matched (GNU tar: "Not found in archive").
    pub(super) fn not_found(&self) -> Vec<String> {
        self.paths
            .iter()
            .filter(|(_, _, matched)| !matched)
            .map(|(p, _, _)| p.clone())
            .collect()
    }
}

/// The non-empty components of a name, `.` dropped (for matching, not for placing).
fn components(name: &[u8]) -> Vec<Vec<u8>> {
    name.split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".")
        .map(<[u8]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(parts: &[&str]) -> Placed {
        Placed::Inside(parts.iter().map(|p| p.as_bytes().to_vec()).collect())
    }

    #[test]
    fn names_stay_inside_the_directory() {
        let mut n = Namer::new(0);
        assert_eq!(n.place(b"a/b/c.txt"), inside(&["a", "b", "c.txt"]));
        assert_eq!(n.place(b"./a//b/"), inside(&["a", "b"]));
        assert_eq!(n.place(b"/etc/x"), inside(&["etc", "x"]));
        assert_eq!(n.place(b"./"), inside(&[]));
        for hostile in [&b"../x"[..], b"a/../../x", b"a/..", b"/../x", b"a\0b"] {
            assert!(
                matches!(n.place(hostile), Placed::Refused(_)),
                "{hostile:?}"
            );
        }
    }

    #[test]
    fn strip_components_drops_leading_parts() {
        let mut n = Namer::new(1);
        assert_eq!(n.place(b"top/a/b"), inside(&["a", "b"]));
        assert_eq!(
            n.place(b"./top/a"),
            inside(&["top", "a"]),
            "GNU tar counts '.'"
        );
        assert_eq!(n.place(b"top/"), Placed::StrippedAway);
        assert_eq!(n.place(b"./"), Placed::StrippedAway);
        assert!(matches!(n.place(b"top/../x"), Placed::Refused(_)));
        assert_eq!(
            n.place(b"../x/y"),
            inside(&["x", "y"]),
            "the '..' was stripped"
        );
    }

    #[test]
    fn selection_by_paths_and_excludes() {
        let mut s = Selection::new(
            &["tree/bin".into(), "missing".into()],
            &["*.log".into(), "cache".into()],
        );
        assert!(s.wants(b"tree/bin/"));
        assert!(s.wants(b"./tree/bin/run.sh"));
        assert!(!s.wants(b"tree/binary"));
        assert!(!s.wants(b"tree/bin/x.log"));
        assert!(!s.wants(b"tree/bin/cache/a"), "under an excluded directory");
        assert_eq!(s.not_found(), vec!["missing".to_owned()]);
        let mut all = Selection::new(&[], &[]);
        assert!(all.wants(b"anything"));
    }
}
