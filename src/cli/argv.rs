//! The command line, read once, before and with argh. argh takes a lone `-` for a flag, has no
//! options with optional values, and keeps each repeated option's values but not how two
//! options interleave. This pass fixes the three: `--zstd=N` becomes `--zstd --zstd-level N`;
//! a lone `-` (standard input or output) is put back among the positional arguments at its
//! place; `--exclude`/`--include` are recorded in the order given (aws-cli applies them in
//! order, the last match winning).

use argh::{EarlyExit, FromArgs};

use super::args::{Command, TopLevel};
use crate::sources::Filter;

/// The parsed command line.
#[derive(Debug)]
pub(super) struct CommandLine {
    pub top: TopLevel,
    /// `--exclude`/`--include`, in the order given.
    pub filters: Vec<Filter>,
}

/// Parses the arguments after the program name.
///
/// # Errors
/// argh's early exit (help, or a usage error with its message).
pub(super) fn parse(name: &str, args: &[String]) -> Result<CommandLine, EarlyExit> {
    let tokens: Vec<&str> = args
        .iter()
        .flat_map(|a| match a.strip_prefix("--zstd=") {
            Some(level) => vec!["--zstd", "--zstd-level", level],
            None => vec![a.as_str()],
        })
        .collect();
    let dashes: Vec<usize> = (0..tokens.len()).filter(|&i| tokens[i] == "-").collect();
    let stdio = match dashes.as_slice() {
        [] => None,
        // A prefix that parses on its own ends with nothing waiting for a value, so the `-`
        // after it is a positional argument (its place: the positionals before it); otherwise
        // it is an option's value (`serve --access-log -`) and argh reads it as such.
        [i] => TopLevel::from_args(&[name], &tokens[..*i])
            .ok()
            .and_then(|prefix| prefix.command.as_ref().and_then(positional_count))
            .map(|count| (*i, count)),
        _ => {
            return Err(usage(
                "'-' (standard input or output) can be given only once",
            ))
        }
    };
    let mut kept = tokens.clone();
    if let Some((i, _)) = stdio {
        kept.remove(i);
    }
    let mut top = TopLevel::from_args(&[name], &kept)?;
    if let Some((_, count)) = stdio {
        match top.command.as_mut().and_then(positionals_mut) {
            Some(paths) => paths.insert(count.min(paths.len()), "-".to_owned()),
            None => {
                return Err(usage(
                    "this command takes no '-' (standard input or output)",
                ))
            }
        }
    }
    let filters = filters_in_order(&kept, top.command.as_ref())?;
    Ok(CommandLine { top, filters })
}

fn usage(message: &str) -> EarlyExit {
    EarlyExit {
        output: message.to_owned(),
        status: Err(()),
    }
}

/// The positional arguments of the commands that take `-`.
fn positionals_mut(command: &mut Command) -> Option<&mut Vec<String>> {
    match command {
        Command::Cp(a) => Some(&mut a.paths),
        Command::Tar(a) => Some(&mut a.paths),
        Command::Restore(a) => Some(&mut a.paths),
        _ => None,
    }
}

fn positional_count(command: &Command) -> Option<usize> {
    match command {
        Command::Cp(a) => Some(a.paths.len()),
        Command::Tar(a) => Some(a.paths.len()),
        Command::Restore(a) => Some(a.paths.len()),
        _ => None,
    }
}

/// The `--exclude` and `--include` values argh parsed, for the commands that have them.
fn filter_flags(command: &Command) -> Option<(&[String], &[String])> {
    match command {
        Command::Cp(a) => Some((&a.exclude, &a.include)),
        Command::Rm(a) => Some((&a.exclude, &a.include)),
        Command::Sync(a) => Some((&a.exclude, &a.include)),
        _ => None,
    }
}

/// `--exclude V` and `--include V` in argv order, checked against what argh parsed: should a
/// token the scan took for a filter be another option's value, the two disagree, and that is a
/// usage error rather than a guess at the order.
fn filters_in_order(tokens: &[&str], command: Option<&Command>) -> Result<Vec<Filter>, EarlyExit> {
    let Some((exclude, include)) = command.and_then(filter_flags) else {
        return Ok(Vec::new());
    };
    let mut filters = Vec::new();
    let mut i = 0;
    while i + 1 < tokens.len() {
        match tokens[i] {
            "--exclude" => filters.push(Filter::Exclude(tokens[i + 1].to_owned())),
            "--include" => filters.push(Filter::Include(tokens[i + 1].to_owned())),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    let excludes = filters.iter().filter_map(|f| match f {
        Filter::Exclude(p) => Some(p),
        Filter::Include(_) => None,
    });
    let includes = filters.iter().filter_map(|f| match f {
        Filter::Include(p) => Some(p),
        Filter::Exclude(_) => None,
    });
    if excludes.eq(exclude.iter()) && includes.eq(include.iter()) {
        Ok(filters)
    } else {
        Err(usage(
            "cannot tell the order of --exclude and --include: give each as '--exclude GLOB' or '--include GLOB'",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_cp(args: &[&str]) -> (Vec<String>, Vec<Filter>) {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let line = parse("s3up", &args).expect("parses");
        match line.top.command {
            Some(Command::Cp(cp)) => (cp.paths, line.filters),
            other => panic!("not cp: {other:?}"),
        }
    }

    #[test]
    fn a_dash_keeps_its_place_among_the_positionals() {
        let (paths, _) = parse_cp(&["cp", "-", "s3://b/k", "--only-show-errors"]);
        assert_eq!(paths, ["-", "s3://b/k"]);
        let (paths, _) = parse_cp(&["cp", "--dryrun", "s3://b/k", "-"]);
        assert_eq!(paths, ["s3://b/k", "-"]);
        let (paths, _) = parse_cp(&["cp", "--content-type", "text/plain", "-", "s3://b/k"]);
        assert_eq!(paths, ["-", "s3://b/k"]);
    }

    #[test]
    fn restore_takes_a_dash_for_standard_input() {
        let args: Vec<String> = ["restore", "-C", "out", "-", "etc/nginx", "--list"]
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        let line = parse("s3up", &args).expect("parses");
        match line.top.command {
            Some(Command::Restore(r)) => {
                assert_eq!(r.paths, ["-", "etc/nginx"]);
                assert_eq!(r.directory.as_deref(), Some("out"));
            }
            other => panic!("not restore: {other:?}"),
        }
    }

    #[test]
    fn filters_keep_their_order() {
        let (_, filters) = parse_cp(&[
            "cp",
            "--recursive",
            "d",
            "--exclude",
            "*",
            "--include",
            "*.tar",
            "--exclude",
            "x.tar",
            "s3://b/p/",
        ]);
        assert_eq!(
            filters,
            [
                Filter::Exclude("*".into()),
                Filter::Include("*.tar".into()),
                Filter::Exclude("x.tar".into())
            ]
        );
    }

    #[test]
    fn a_filter_name_as_another_options_value_is_an_error_not_a_guess() {
        let args: Vec<String> = [
            "cp",
            "--metadata",
            "--exclude",
            "a",
            "--include",
            "b",
            "s3://b/",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
        assert!(parse("s3up", &args).is_err());
        let twice: Vec<String> = ["cp", "-", "-"].iter().map(|a| (*a).to_owned()).collect();
        assert!(parse("s3up", &twice).is_err());
    }
}
