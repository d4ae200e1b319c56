//! What `cp` uploads: sources (files, directories with `--recursive`, standard input) expanded
//! into (local path, object key) pairs, with aws-cli's `--exclude`/`--include` semantics
//! (filters apply in order, the last match wins; `*` also matches `/`).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::error::Error;
use crate::s3::addr::S3Url;

/// One upload to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    /// `None` for standard input.
    pub path: Option<PathBuf>,
    /// The size when the sources were listed (for the progress total and to choose single
    /// or multipart up front); the upload itself uses what the opened file reports.
    pub listed_size: Option<u64>,
    /// The modification time when the sources were listed (what `sync` compares).
    pub modified: Option<SystemTime>,
    /// How the source is shown in messages (as the user wrote it).
    pub display: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    Exclude(String),
    Include(String),
}

/// Expands sources into jobs; validates everything before anything is uploaded.
///
/// # Errors
/// [`Error::Usage`] for a missing source, a directory without `--recursive`, stdin mixed with
/// other sources, or several sources with a destination that is not a prefix.
pub(crate) fn expand(
    sources: &[String],
    dest: &S3Url,
    recursive: bool,
    filters: &[Filter],
) -> Result<Vec<Job>, Error> {
    if sources.is_empty() {
        return Err(Error::Usage(
            "nothing to upload: give at least one source".into(),
        ));
    }
    if sources.iter().any(|s| s == "-") {
        if sources.len() > 1 {
            return Err(Error::Usage(
                "'-' (standard input) cannot be combined with other sources".into(),
            ));
        }
        if dest.is_prefix() {
            return Err(Error::Usage(format!(
                "uploading standard input needs a full object key, not the prefix {dest}"
            )));
        }
        return Ok(vec![Job {
            path: None,
            listed_size: None,
            modified: None,
            display: "-".into(),
            key: dest.key.clone(),
        }]);
    }
    let many = sources.len() > 1 || recursive;
    if many && !dest.is_prefix() {
        return Err(Error::Usage(format!(
            "several files go under a prefix: end the destination with '/' ({dest}/)"
        )));
    }
    let mut jobs = Vec::new();
    for src in sources {
        let path = Path::new(src);
        let meta =
            std::fs::metadata(path).map_err(|e| Error::Usage(format!("source {src}: {e}")))?;
        if meta.is_dir() {
            if !recursive {
                return Err(Error::Usage(format!(
                    "{src} is a directory: use --recursive to upload its contents"
                )));
            }
            walk(path, path, &dest.key, filters, &mut jobs)?;
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| Error::Usage(format!("source {src} has no file name")))?;
            if !included(&name, filters) {
                continue;
            }
            let key = if dest.is_prefix() {
                format!("{}{name}", dest.key)
            } else {
                dest.key.clone()
            };
            jobs.push(Job {
                path: Some(path.to_owned()),
                listed_size: Some(meta.len()),
                modified: meta.modified().ok(),
                display: src.clone(),
                key,
            });
        }
    }
    Ok(jobs)
}

/// Every file under `root` that passes `filters`, keyed by its `/`-separated path below `root`.
///
/// # Errors
/// A directory or file that cannot be read.
pub(crate) fn tree(root: &Path, filters: &[Filter]) -> Result<Vec<Job>, Error> {
    let mut jobs = Vec::new();
    walk(root, root, "", filters, &mut jobs)?;
    Ok(jobs)
}

fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    filters: &[Filter],
    jobs: &mut Vec<Job>,
) -> Result<(), Error> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|source| Error::Source {
            path: dir.to_owned(),
            source,
        })?
        .collect::<Result<_, _>>()
        .map_err(|source| Error::Source {
            path: dir.to_owned(),
            source,
        })?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let meta = std::fs::metadata(&path).map_err(|source| Error::Source {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(root, &path, prefix, filters, jobs)?;
            continue;
        }
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if !included(&rel, filters) {
            continue;
        }
        jobs.push(Job {
            path: Some(path.clone()),
            listed_size: Some(meta.len()),
            modified: meta.modified().ok(),
            display: path.display().to_string(),
            key: format!("{prefix}{rel}"),
        });
    }
    Ok(())
}

/// aws-cli's rule: everything is included, then each filter in order may flip it.
pub(crate) fn included(rel_path: &str, filters: &[Filter]) -> bool {
    let mut keep = true;
    for f in filters {
        match f {
            Filter::Exclude(p) if glob_match(p, rel_path) => keep = false,
            Filter::Include(p) if glob_match(p, rel_path) => keep = true,
            _ => {}
        }
    }
    keep
}

/// fnmatch-style matching: `*` any run (including `/`), `?` one character, `[abc]`/`[!a-z]` sets.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
            continue;
        }
        if let Some(next) = (pi < p.len())
            .then(|| element_match(&p, pi, t[ti]))
            .flatten()
        {
            pi = next;
            ti += 1;
        } else if let Some((sp, st)) = star {
            // Let the last star swallow one more character and retry.
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches the pattern element at `p[pi]` against `c`; the index after the element on success.
fn element_match(p: &[char], pi: usize, c: char) -> Option<usize> {
    match p[pi] {
        '?' => Some(pi + 1),
        '[' => {
            let mut i = pi + 1;
            let negate = i < p.len() && (p[i] == '!' || p[i] == '^');
            if negate {
                i += 1;
            }
            let start = i;
            let mut matched = false;
            while i < p.len() && (p[i] != ']' || i == start) {
                if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
                    matched |= p[i] <= c && c <= p[i + 2];
                    i += 3;
                } else {
                    matched |= p[i] == c;
                    i += 1;
                }
            }
            if i >= p.len() {
                // No closing bracket: a literal '['.
                return (c == '[').then_some(pi + 1);
            }
            (matched != negate).then_some(i + 1)
        }
        lit => (lit == c).then_some(pi + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_like_fnmatch() {
        assert!(glob_match("*.tar", "a.tar"));
        assert!(glob_match("*.tar", "dir/a.tar"));
        assert!(!glob_match("*.tar", "a.tar.gz"));
        assert!(glob_match("logs/*", "logs/x/y"));
        assert!(glob_match("?.txt", "a.txt"));
        assert!(glob_match("[ab]*", "bx"));
        assert!(!glob_match("[!ab]*", "bx"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXbY"));
    }

    #[test]
    fn later_filters_win() {
        let f = [Filter::Exclude("*".into()), Filter::Include("*.tar".into())];
        assert!(included("x.tar", &f));
        assert!(!included("x.log", &f));
        let f = [
            Filter::Include("*.tar".into()),
            Filter::Exclude("tmp/*".into()),
        ];
        assert!(!included("tmp/x.tar", &f));
    }
}
