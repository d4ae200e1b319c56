//! `credential_process`: runs the profile's command (split like a POSIX shell would, but run
//! without one, as aws-cli does) and reads its JSON (`Version: 1`, `AccessKeyId`,
//! `SecretAccessKey`, `SessionToken`, `Expiration`) from standard output. The command's
//! standard error goes to ours; its output is never shown (it holds secrets).

use std::process::{Command, Stdio};

use super::expiring::{parse_json, Expiring, TokenField};
use super::refresh::Fetch;

/// A configured `credential_process`.
pub(crate) struct CredentialProcess {
    argv: Vec<String>,
    /// Where it was configured (`file:line`), for messages.
    origin: String,
}

impl CredentialProcess {
    /// # Errors
    /// An empty command or unbalanced quotes.
    pub(crate) fn new(command: &str, origin: String) -> Result<Self, String> {
        let argv = split(command).map_err(|e| format!("{origin}: credential_process: {e}"))?;
        if argv.is_empty() {
            return Err(format!("{origin}: credential_process is empty"));
        }
        Ok(Self { argv, origin })
    }

    fn run(&self) -> Result<Expiring, String> {
        let program = &self.argv[0];
        let output = Command::new(program)
            .args(&self.argv[1..])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if !output.status.success() {
            return Err(format!("{program} failed ({})", output.status));
        }
        let version = serde_json::from_slice::<serde_json::Value>(&output.stdout)
            .ok()
            .and_then(|d| d.get("Version").and_then(serde_json::Value::as_u64));
        if version != Some(1) {
            return Err(format!("{program} printed no JSON with \"Version\": 1"));
        }
        parse_json(&output.stdout, TokenField::SessionToken).map_err(|e| format!("{program}: {e}"))
    }
}

impl Fetch for CredentialProcess {
    fn fetch(&self) -> Result<Expiring, String> {
        self.run()
    }

    fn source(&self) -> String {
        format!("credential_process ({})", self.origin)
    }
}

/// Splits a command line into words: whitespace separates; `'…'` is literal; `"…"` keeps
/// spaces and takes `\"`, `\\`, `\$` and `` \` `` escapes; `\` outside quotes escapes the next
/// character.
///
/// # Errors
/// An unclosed quote or a trailing backslash.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unclosed double quote".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().ok_or("trailing backslash")?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        let s = |t: &str| split(t).expect("splits");
        assert_eq!(
            s("/bin/get-creds --profile x"),
            ["/bin/get-creds", "--profile", "x"]
        );
        assert_eq!(
            s("  a   'b c'  \"d \\\"e\\\"\"  f\\ g ''"),
            ["a", "b c", "d \"e\"", "f g", ""]
        );
        assert_eq!(s("x\"y z\"w"), ["xy zw"]);
        assert!(split("'open").is_err());
        assert!(split("\"open").is_err());
        assert!(split("end\\").is_err());
    }
}
