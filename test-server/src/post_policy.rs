//! Browser-form POST uploads checked as S3 checks them, before s3s stores anything: the form's
//! required fields, its policy signature (SigV4: HMAC-SHA256 with the scope's derived key;
//! SigV2: HMAC-SHA1), then the policy document itself (expiration format and time, every
//! `eq`/`starts-with`/`content-length-range` condition, and no form field the policy does not
//! name), with S3's codes: 400 for a malformed form or policy, 403 for one that is not allowed.
//! The file's size against `content-length-range` is checked by s3s as the file streams in.
//!
//! Sources: the AWS docs "Creating a POST policy" and "Authenticating requests: browser-based
//! uploads using POST" (SigV4 and SigV2); status codes as the Ceph s3-tests POST cases expect.

use crate::auth::Keyring;
use crate::clock;
use crate::facts::SigVersion;
use crate::gate::{reject, Rejection};
use crate::post_form::Form;
use crate::store::key_problem;
use crate::xml::ErrorDoc;

use base64::Engine as _;
use ring::hmac;
use serde_json::Value;
use std::time::SystemTime;

/// One policy condition.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// The field equals the value (`{"field": "v"}` or `["eq", "$field", "v"]`).
    Eq(String, String),
    /// The field starts with the prefix (`""`: any value).
    StartsWith(String, String),
    /// The file's size bounds, inclusive (checked as the file streams in).
    LengthRange,
}

/// A parsed policy document.
#[derive(Debug)]
struct Policy {
    expiration: SystemTime,
    /// Each condition with its JSON text, for the refusal message.
    conditions: Vec<(Condition, String)>,
}

fn missing(field: &str) -> Rejection {
    Rejection {
        status: 400,
        doc: ErrorDoc::new(
            "InvalidArgument",
            &format!(
                "Bucket POST must contain a field named '{field}'.  If it is specified, please check the order of the fields."
            ),
        )
        .with("ArgumentName", field)
        .with("ArgumentValue", ""),
        headers: Vec::new(),
    }
}

fn field<'a>(form: &'a Form, name: &str) -> Result<&'a str, Rejection> {
    form.get(name).ok_or_else(|| missing(name))
}

fn invalid_policy(why: &str) -> Rejection {
    reject(
        400,
        "InvalidPolicyDocument",
        &format!("Invalid Policy: {why}"),
    )
}

fn not_allowed(why: &str) -> Rejection {
    reject(
        403,
        "AccessDenied",
        &format!("Invalid according to Policy: {why}"),
    )
}

fn mismatch() -> Rejection {
    reject(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
}

fn query_error(message: &str) -> Rejection {
    reject(400, "AuthorizationQueryParametersError", message)
}

/// Equal strings, compared in constant time.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
}

/// Hex SigV4 signature of `data` under the key derived for the scope's date, region, service.
fn sigv4(secret: &str, scope: [&str; 3], data: &str) -> String {
    let mut key = hmac_sha256(format!("AWS4{secret}").as_bytes(), scope[0].as_bytes());
    for part in [scope[1], scope[2], "aws4_request"] {
        key = hmac_sha256(key.as_ref(), part.as_bytes());
    }
    let tag = hmac_sha256(key.as_ref(), data.as_bytes());
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The secret of `access_key`, or S3's answer for an unknown one.
fn secret(keyring: &Keyring, access_key: &str) -> Result<String, Rejection> {
    keyring.get(access_key).map(|k| k.secret).ok_or_else(|| {
        reject(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    })
}

/// SigV4: `x-amz-signature` = HMAC-SHA256 of the base64 policy under the scope's key.
fn verify_v4(form: &Form, keyring: &Keyring) -> Result<(), Rejection> {
    let policy = field(form, "policy")?;
    let algorithm = field(form, "x-amz-algorithm")?;
    let credential = field(form, "x-amz-credential")?;
    let date = field(form, "x-amz-date")?;
    let signature = field(form, "x-amz-signature")?;
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(query_error(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, day, region, service, "aws4_request"] = parts[..] else {
        return Err(query_error("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."));
    };
    if service != "s3" {
        return Err(query_error(&format!("Error parsing the X-Amz-Credential parameter; incorrect service \"{service}\". This endpoint belongs to \"s3\".")));
    }
    if clock::parse_amz_date(date).is_none() {
        return Err(query_error(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
        ));
    }
    let secret = secret(keyring, access_key)?;
    let expected = sigv4(&secret, [day, region, service], policy);
    if !date.starts_with(day) || !same(&expected, &signature.to_ascii_lowercase()) {
        return Err(mismatch());
    }
    Ok(())
}

/// SigV2: `signature` = base64 HMAC-SHA1 of the base64 policy under the secret.
fn verify_v2(form: &Form, keyring: &Keyring) -> Result<(), Rejection> {
    let access_key = field(form, "awsaccesskeyid")?;
    let signature = field(form, "signature")?;
    let policy = field(form, "policy")?;
    let expected = crate::sigv2::sign(&secret(keyring, access_key)?, policy);
    if !same(&expected, signature) {
        return Err(mismatch());
    }
    Ok(())
}

/// `$Field` or `Field` → `field`.
fn field_name(v: &Value) -> Option<String> {
    let name = v.as_str()?;
    Some(name.strip_prefix('$').unwrap_or(name).to_ascii_lowercase())
}

fn parse_condition(c: &Value) -> Result<Condition, Rejection> {
    let bad = || invalid_policy(&format!("Invalid Condition: {c}"));
    if let Some(map) = c.as_object() {
        // `{"field": "value"}`: one exact match.
        let mut entries = map.iter();
        let (Some((name, value)), None) = (entries.next(), entries.next()) else {
            return Err(bad());
        };
        let value = value.as_str().ok_or_else(bad)?;
        return Ok(Condition::Eq(name.to_ascii_lowercase(), value.to_owned()));
    }
    let items = c.as_array().ok_or_else(bad)?;
    match (items.first().and_then(Value::as_str), items.len()) {
        (Some("eq"), 3) => Ok(Condition::Eq(
            field_name(&items[1]).ok_or_else(bad)?,
            items[2].as_str().ok_or_else(bad)?.to_owned(),
        )),
        (Some("starts-with"), 3) => Ok(Condition::StartsWith(
            field_name(&items[1]).ok_or_else(bad)?,
            items[2].as_str().ok_or_else(bad)?.to_owned(),
        )),
        (Some("content-length-range"), 3) => match (items[1].as_u64(), items[2].as_u64()) {
            (Some(min), Some(max)) if min <= max => Ok(Condition::LengthRange),
            _ => Err(bad()),
        },
        _ => Err(bad()),
    }
}

impl Policy {
    /// Decodes and parses the base64 policy document (keys are case-sensitive, as on S3).
    fn parse(b64: &str) -> Result<Self, Rejection> {
        let text = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| invalid_policy("Policy is not base64-encoded."))?;
        let doc: Value =
            serde_json::from_slice(&text).map_err(|_| invalid_policy("Invalid JSON."))?;
        let doc = doc
            .as_object()
            .ok_or_else(|| invalid_policy("Invalid JSON."))?;
        let expiration = match doc.get("expiration") {
            None => return Err(invalid_policy("Policy missing expiration.")),
            Some(v) => v
                .as_str()
                .and_then(clock::parse_iso8601_utc)
                .ok_or_else(|| invalid_policy(&format!("Invalid 'expiration' value: {v}")))?,
        };
        let list = doc
            .get("conditions")
            .ok_or_else(|| invalid_policy("Policy missing conditions."))?
            .as_array()
            .ok_or_else(|| invalid_policy("Invalid 'conditions' value: not a list."))?;
        let conditions = list
            .iter()
            .map(|c| Ok((parse_condition(c)?, c.to_string())))
            .collect::<Result<_, Rejection>>()?;
        Ok(Self {
            expiration,
            conditions,
        })
    }

    /// Expiration, each condition, and the rule that every field is named by a condition.
    fn allows(&self, form: &Form, bucket: &str, now: SystemTime) -> Result<(), Rejection> {
        if now >= self.expiration {
            return Err(not_allowed("Policy expired."));
        }
        let value = |name: &str| match name {
            "bucket" => bucket.to_owned(),
            _ => form.get(name).unwrap_or("").to_owned(),
        };
        for (condition, text) in &self.conditions {
            let holds = match condition {
                Condition::Eq(name, want) => value(name) == *want,
                // A Content-Type may list several types: each must match.
                Condition::StartsWith(name, prefix) if name == "content-type" => value(name)
                    .split(',')
                    .all(|v| v.trim().starts_with(prefix.as_str())),
                Condition::StartsWith(name, prefix) => value(name).starts_with(prefix.as_str()),
                Condition::LengthRange => true,
            };
            if !holds {
                return Err(not_allowed(&format!("Policy Condition failed: {text}")));
            }
        }
        let named = |name: &str| {
            self.conditions.iter().any(|(c, _)| match c {
                Condition::Eq(n, _) | Condition::StartsWith(n, _) => n == name,
                Condition::LengthRange => false,
            })
        };
        let exempt = ["policy", "x-amz-signature", "signature", "awsaccesskeyid"];
        let extra: Vec<&str> = form
            .fields
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !exempt.contains(n) && !n.starts_with("x-ignore-") && !named(n))
            .collect();
        if let Some(name) = extra.first() {
            return Err(not_allowed(&format!("Extra input fields: {name}")));
        }
        Ok(())
    }
}

/// Checks a signed form upload to `bucket` at server time `now`: fields, signature, policy.
///
/// # Errors
/// S3's answer to the first rule the form breaks.
pub fn check(
    form: &Form,
    bucket: &str,
    keyring: &Keyring,
    now: SystemTime,
) -> Result<(), Rejection> {
    field(form, "key")?;
    if let Some(why) = form.key().as_deref().and_then(key_problem) {
        return Err(reject(
            400,
            "InvalidArgument",
            &format!("Invalid object key: {why}."),
        ));
    }
    match form.signature() {
        SigVersion::V2 => verify_v2(form, keyring)?,
        SigVersion::V4 | SigVersion::None => verify_v4(form, keyring)?,
    }
    Policy::parse(field(form, "policy")?)?.allows(form, bucket, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(doc: &Value) -> Result<Policy, Rejection> {
        Policy::parse(&base64::engine::general_purpose::STANDARD.encode(doc.to_string()))
    }

    fn form(fields: &[(&str, &str)]) -> Form {
        Form {
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            filename: None,
        }
    }

    #[test]
    fn sigv4_signature_matches_the_aws_suite() {
        // aws-sig-v4-test-suite, get-vanilla: the same key derivation and HMAC sign a policy.
        let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
                   bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
        assert_eq!(
            sigv4(
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                ["20150830", "us-east-1", "service"],
                sts
            ),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn malformed_policies() {
        let exp = "2030-01-01T00:00:00.000Z";
        for (doc, why) in [
            (json!({ "conditions": [] }), "missing expiration"),
            (json!({ "expiration": exp }), "missing conditions"),
            (
                json!({ "eXpiration": exp, "conditions": [] }),
                "missing expiration",
            ),
            (
                json!({ "expiration": "2030-01-01", "conditions": [] }),
                "'expiration'",
            ),
            (
                json!({ "expiration": exp, "conditions": [{}] }),
                "Condition",
            ),
            (
                json!({ "expiration": exp, "conditions": [["StArTs-WiTh", "$key", ""]] }),
                "Condition",
            ),
            (
                json!({ "expiration": exp, "conditions": [["content-length-range", 5, 1]] }),
                "Condition",
            ),
            (
                json!({ "expiration": exp, "conditions": [["eq", "$key"]] }),
                "Condition",
            ),
        ] {
            let err = policy(&doc).expect_err(why);
            assert_eq!(
                (err.status, err.doc.code.as_str()),
                (400, "InvalidPolicyDocument")
            );
            assert!(err.doc.message.contains(why), "{} ({why})", err.doc.message);
        }
    }

    #[test]
    fn conditions_and_extra_fields() {
        let now = clock::parse_amz_date("20300101T000000Z").expect("date");
        let p = policy(&json!({
            "expiration": "2030-01-01T00:00:01Z",
            "conditions": [
                {"Bucket": "b"}, ["starts-with", "$Key", "u/"], ["eq", "$x-amz-meta-a", "1"],
                ["starts-with", "$content-type", "image/"], ["content-length-range", 0, 9],
            ],
        }))
        .expect("valid");
        let ok = form(&[
            ("key", "u/k"),
            ("x-amz-meta-a", "1"),
            ("content-type", "image/png, image/gif"),
            ("x-ignore-me", ""),
            ("policy", ""),
        ]);
        assert!(p.allows(&ok, "b", now).is_ok());
        let deny =
            |f: &Form, bucket: &str, t| p.allows(f, bucket, t).expect_err("denied").doc.message;
        assert!(deny(&ok, "other", now).contains(r#"{"Bucket":"b"}"#));
        assert!(deny(&form(&[("key", "v/k")]), "b", now).contains("starts-with"));
        let mixed = form(&[
            ("key", "u/k"),
            ("x-amz-meta-a", "1"),
            ("content-type", "image/png, text/html"),
        ]);
        assert!(deny(&mixed, "b", now).contains("content-type"));
        let extra = form(&[
            ("key", "u/k"),
            ("x-amz-meta-a", "1"),
            ("content-type", "image/x"),
            ("acl", "public-read"),
        ]);
        assert!(deny(&extra, "b", now).contains("Extra input fields: acl"));
        let later = clock::shift(now, 1);
        assert!(deny(&ok, "b", later).contains("Policy expired"));
    }
}
