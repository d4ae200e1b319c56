//! Browser-form POST uploads (issue 18, holes 2, 3 and 7): the policy signature (SigV4; SigV2
//! refused unless accepted), the policy document (expiration, every condition, fields the
//! policy does not name) and S3's status codes, each refusal leaving storage unchanged and
//! logged with its signature version and the form's authentication type.

use super::http::{send, Resp};
use super::sign::{iso8601, sigv2, sigv4};
use super::{assert_ok, assert_rejected, now_secs, server, server_with, Server, BUCKET};

use base64::Engine as _;
use s3up::sigv4::SigningTime;
use serde_json::{json, Value};
use test_server::SigV2Mode;

const BOUNDARY: &str = "----s3upFormBoundary7MA4YWxkTrZu0gW";
const DATA: &[u8] = b"uploaded by a browser";

/// A multipart/form-data POST as a browser sends it: fields, then the file.
struct Post {
    fields: Vec<(String, String)>,
    file: Vec<u8>,
}

impl Post {
    fn body(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, value) in &self.fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&self.file);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    fn send(&self, s: &Server) -> Resp {
        let headers = vec![
            ("host".to_owned(), s.addr().to_string()),
            (
                "content-type".to_owned(),
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
        ];
        send(
            s.addr(),
            "POST",
            &format!("/{BUCKET}"),
            &headers,
            &self.body(),
        )
    }

    fn without(mut self, name: &str) -> Self {
        self.fields.retain(|(k, _)| k != name);
        self
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A SigV4 form for `key`, as boto3's `generate_presigned_post` makes it; each test changes
/// one thing.
struct V4Form {
    key: String,
    expiration: String,
    /// Conditions besides bucket, key and the x-amz-* signing fields.
    conditions: Vec<Value>,
    /// Form fields besides key, policy and the x-amz-* signing fields.
    fields: Vec<(String, String)>,
    region: String,
    access_key: String,
    secret: String,
    /// A policy document used as is instead of the one built from the above.
    raw_policy: Option<String>,
    file: Vec<u8>,
}

impl V4Form {
    fn new(s: &Server, key: &str) -> Self {
        Self {
            key: key.to_owned(),
            expiration: iso8601(SigningTime(now_secs() + 3600)),
            conditions: Vec::new(),
            fields: Vec::new(),
            region: s.region().to_owned(),
            access_key: s.access_key().to_owned(),
            secret: s.secret_key().to_owned(),
            raw_policy: None,
            file: DATA.to_vec(),
        }
    }

    fn condition(mut self, c: Value) -> Self {
        self.conditions.push(c);
        self
    }

    fn field(mut self, name: &str, value: &str) -> Self {
        self.fields.push((name.to_owned(), value.to_owned()));
        self
    }

    fn build(&self) -> Post {
        let t = SigningTime(now_secs());
        let credential = format!(
            "{}/{}/{}/s3/aws4_request",
            self.access_key,
            t.date_stamp(),
            self.region
        );
        let mut conditions = vec![
            json!({ "bucket": BUCKET }),
            json!({ "key": self.key }),
            json!({ "x-amz-algorithm": "AWS4-HMAC-SHA256" }),
            json!({ "x-amz-credential": credential }),
            json!({ "x-amz-date": t.amz_date() }),
        ];
        conditions.extend(self.conditions.iter().cloned());
        let policy = self.raw_policy.clone().unwrap_or_else(|| {
            json!({ "expiration": self.expiration, "conditions": conditions }).to_string()
        });
        let policy = b64(&policy);
        let signature = sigv4(&self.secret, &t.date_stamp(), &self.region, &policy);
        let mut fields = vec![
            ("key".to_owned(), self.key.clone()),
            ("x-amz-algorithm".to_owned(), "AWS4-HMAC-SHA256".to_owned()),
            ("x-amz-credential".to_owned(), credential),
            ("x-amz-date".to_owned(), t.amz_date()),
        ];
        fields.extend(self.fields.iter().cloned());
        fields.push(("policy".to_owned(), policy));
        fields.push(("x-amz-signature".to_owned(), signature));
        Post {
            fields,
            file: self.file.clone(),
        }
    }
}

/// A SigV2 form for `key` signed with `secret`.
fn v2_form(s: &Server, key: &str, secret: &str) -> Post {
    let policy = json!({
        "expiration": iso8601(SigningTime(now_secs() + 3600)),
        "conditions": [{ "bucket": BUCKET }, { "key": key }],
    });
    let policy = b64(&policy.to_string());
    Post {
        fields: vec![
            ("key".to_owned(), key.to_owned()),
            ("AWSAccessKeyId".to_owned(), s.access_key().to_owned()),
            ("policy".to_owned(), policy.clone()),
            ("signature".to_owned(), sigv2(secret, &policy)),
        ],
        file: DATA.to_vec(),
    }
}

/// Asserts a refused form upload: status, code, log record (signature version and the form's
/// authentication type), and no object under `key`.
fn assert_refused(s: &Server, r: &Resp, status: u16, code: &str, sig: &str, key: &str) {
    let rec = assert_rejected(s, r, status, code, "REST.POST.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        (sig, "POST"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, key), None, "{key} was stored");
}

#[test]
fn sigv4_form_upload_is_stored_and_logged() {
    let s = server();
    let r = V4Form::new(&s, "form/one.txt").build().send(&s);
    assert_eq!(r.status, 204, "{}", r.text());
    let rec = assert_ok(&s, &r, "REST.POST.OBJECT");
    assert_eq!(rec.key, "form/one.txt", "{rec:?}");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "POST"),
        "{rec:?}"
    );
    assert_eq!(
        s.object_bytes(BUCKET, "form/one.txt").as_deref(),
        Some(DATA)
    );
}

#[test]
fn form_field_names_and_condition_names_are_case_insensitive() {
    let s = server();
    let mut post = V4Form::new(&s, "photos/cat.jpg")
        .condition(json!(["starts-with", "$Content-Type", "image/"]))
        .condition(json!({ "SUCCESS_ACTION_STATUS": "201" }))
        .field("Content-Type", "image/jpeg")
        .field("success_action_status", "201")
        .field("x-ignore-tracking", "not in the policy, and need not be")
        .build();
    for (name, _) in &mut post.fields {
        if name == "key" {
            *name = "kEy".to_owned();
        }
    }
    let r = post.send(&s);
    assert_eq!(r.status, 201, "{}", r.text());
    let rec = assert_ok(&s, &r, "REST.POST.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "POST"),
        "{rec:?}"
    );
    assert_eq!(
        s.object_bytes(BUCKET, "photos/cat.jpg").as_deref(),
        Some(DATA)
    );
}

/// Hole 2: SigV2 is refused for forms as for every other request, unless accepted.
#[test]
fn sigv2_form_is_refused_by_default_and_verified_when_accepted() {
    let s = server();
    let r = v2_form(&s, "v2.txt", s.secret_key()).send(&s);
    assert_refused(&s, &r, 400, "InvalidRequest", "SigV2", "v2.txt");
    assert!(
        r.text().contains("Please use AWS4-HMAC-SHA256"),
        "{}",
        r.text()
    );

    let s = server_with(|c| c.sigv2 = SigV2Mode::Accept);
    let r = v2_form(&s, "v2.txt", "not-the-secret").send(&s);
    assert_refused(&s, &r, 403, "SignatureDoesNotMatch", "SigV2", "v2.txt");
    let r = v2_form(&s, "v2.txt", s.secret_key()).send(&s);
    let rec = assert_ok(&s, &r, "REST.POST.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV2", "POST"),
        "{rec:?}"
    );
    assert_eq!(s.object_bytes(BUCKET, "v2.txt").as_deref(), Some(DATA));
}

/// Hole 3: the expiration must be an ISO 8601 UTC time (`2030-01-01T00:00:00.000Z`).
#[test]
fn policy_with_malformed_expiration_is_refused() {
    let s = server();
    for bad in [
        "2031-01-01T00:00:00+02:00",
        "2031-01-01 00:00:00",
        "2031-01-01",
        "tomorrow",
        "",
    ] {
        let mut form = V4Form::new(&s, "expiring.txt");
        form.expiration = bad.to_owned();
        let r = form.build().send(&s);
        assert_refused(
            &s,
            &r,
            400,
            "InvalidPolicyDocument",
            "SigV4",
            "expiring.txt",
        );
        assert!(r.text().contains("expiration"), "{bad}: {}", r.text());
    }
}

/// Holes 3 and 7: every policy rule, with S3's answer (403 for a form the policy does not
/// allow, 400 for a malformed policy or form, 400 for a file outside content-length-range).
#[test]
fn policy_rules_are_enforced_with_s3_answers() {
    let s = server();
    let expired = |f: V4Form| V4Form {
        expiration: iso8601(SigningTime(now_secs() - 60)),
        ..f
    };
    let raw = |policy: &'static str| {
        move |f: V4Form| V4Form {
            raw_policy: Some(policy.to_owned()),
            ..f
        }
    };
    type Tweak = Box<dyn Fn(V4Form) -> V4Form>;
    let cases: Vec<(&str, Tweak, u16, &str)> = vec![
        ("expired policy", Box::new(expired), 403, "AccessDenied"),
        (
            "eq on the key fails",
            Box::new(|f: V4Form| f.condition(json!(["eq", "$key", "somewhere/else"]))),
            403,
            "AccessDenied",
        ),
        (
            "starts-with on the key fails",
            Box::new(|f: V4Form| f.condition(json!(["starts-with", "$key", "uploads/"]))),
            403,
            "AccessDenied",
        ),
        (
            "policy for another bucket",
            Box::new(|f: V4Form| f.condition(json!({ "bucket": "other-bucket" }))),
            403,
            "AccessDenied",
        ),
        (
            "a field the policy does not name",
            Box::new(|f: V4Form| f.field("x-amz-meta-color", "red")),
            403,
            "AccessDenied",
        ),
        (
            "an x-amz-meta field against its condition",
            Box::new(|f: V4Form| {
                f.field("x-amz-meta-color", "red")
                    .condition(json!({ "x-amz-meta-color": "blue" }))
            }),
            403,
            "AccessDenied",
        ),
        (
            "a condition on a field the form lacks",
            Box::new(|f: V4Form| f.condition(json!(["starts-with", "$x-amz-meta-owner", "a"]))),
            403,
            "AccessDenied",
        ),
        (
            "file larger than content-length-range",
            Box::new(|f: V4Form| f.condition(json!(["content-length-range", 0, 4]))),
            400,
            "EntityTooLarge",
        ),
        (
            "file smaller than content-length-range",
            Box::new(|f: V4Form| f.condition(json!(["content-length-range", 100, 200]))),
            400,
            "EntityTooSmall",
        ),
        (
            "wrong secret",
            Box::new(|f: V4Form| V4Form {
                secret: "not-the-secret".to_owned(),
                ..f
            }),
            403,
            "SignatureDoesNotMatch",
        ),
        (
            "unknown access key",
            Box::new(|f: V4Form| V4Form {
                access_key: "AKIDNOBODY".to_owned(),
                ..f
            }),
            403,
            "InvalidAccessKeyId",
        ),
        (
            "signed for another region",
            Box::new(|f: V4Form| V4Form {
                region: "eu-west-1".to_owned(),
                ..f
            }),
            400,
            "AuthorizationQueryParametersError",
        ),
        (
            "operator names are case-sensitive",
            Box::new(|f: V4Form| f.condition(json!(["StArTs-WiTh", "$key", ""]))),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "content-length-range without its maximum",
            Box::new(|f: V4Form| f.condition(json!(["content-length-range", 0]))),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "content-length-range below zero",
            Box::new(|f: V4Form| f.condition(json!(["content-length-range", -1, 10]))),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "an empty condition",
            Box::new(|f: V4Form| f.condition(json!({}))),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "no conditions",
            Box::new(raw(r#"{"expiration": "2099-01-01T00:00:00Z"}"#)),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "no expiration",
            Box::new(raw(r#"{"conditions": [{"bucket": "bkt"}]}"#)),
            400,
            "InvalidPolicyDocument",
        ),
        (
            "a policy that is not JSON",
            Box::new(raw("expiration: tomorrow")),
            400,
            "InvalidPolicyDocument",
        ),
    ];
    for (what, tweak, status, code) in cases {
        let key = "guarded.txt";
        let r = tweak(V4Form::new(&s, key)).build().send(&s);
        assert_eq!(
            (r.status, r.code().as_deref()),
            (status, Some(code)),
            "{what}: {}",
            r.text()
        );
        assert_refused(&s, &r, status, code, "SigV4", key);
    }
}

/// A form must name its key and carry every signing field (400 InvalidArgument, as S3).
#[test]
fn form_without_key_or_signature_is_refused() {
    let s = server();
    for missing in ["key", "x-amz-signature", "x-amz-credential", "policy"] {
        let r = V4Form::new(&s, "unnamed.txt")
            .build()
            .without(missing)
            .send(&s);
        assert_refused(&s, &r, 400, "InvalidArgument", "SigV4", "unnamed.txt");
        let message = r.text().replace("&apos;", "'");
        assert!(
            message.contains(&format!("must contain a field named '{missing}'")),
            "{missing}: {message}"
        );
    }
}

/// A form signed with temporary credentials carries its session token as a field.
#[test]
fn form_with_temporary_credentials_needs_the_token_field() {
    let s = server();
    let (_md, ak, sk, token) = super::auth::temporary_credentials(&s, 3600);
    let form = |with_token: bool| {
        let f = V4Form {
            access_key: ak.clone(),
            secret: sk.clone(),
            ..V4Form::new(&s, "temporary.txt")
        };
        match with_token {
            true => f
                .condition(json!({ "x-amz-security-token": token }))
                .field("x-amz-security-token", &token),
            false => f,
        }
    };
    let r = form(false).build().send(&s);
    assert_refused(&s, &r, 403, "InvalidAccessKeyId", "SigV4", "temporary.txt");
    let r = form(true).build().send(&s);
    let rec = assert_ok(&s, &r, "REST.POST.OBJECT");
    assert_eq!(
        (rec.signature_version, rec.auth_type),
        ("SigV4", "POST"),
        "{rec:?}"
    );
    assert_eq!(
        s.object_bytes(BUCKET, "temporary.txt").as_deref(),
        Some(DATA)
    );
}

/// A body that is no form, a form without a file, and fields too large before the file.
#[test]
fn malformed_forms_are_refused() {
    let s = server();
    let no_file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--{BOUNDARY}--\r\n"
    );
    let huge = V4Form::new(&s, "huge.txt")
        .field("x-ignore-padding", &"p".repeat(21 * 1024))
        .build()
        .body();
    let cases: [(&[u8], &str); 3] = [
        (b"this is not multipart at all", "MalformedPOSTRequest"),
        (no_file.as_bytes(), "IncorrectNumberOfFilesInPostRequest"),
        (&huge, "MaxPostPreDataLengthExceeded"),
    ];
    let headers = vec![
        ("host".to_owned(), s.addr().to_string()),
        (
            "content-type".to_owned(),
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ),
    ];
    for (body, code) in cases {
        let r = send(s.addr(), "POST", &format!("/{BUCKET}"), &headers, body);
        assert_rejected(&s, &r, 400, code, "REST.POST.OBJECT");
    }
    assert_eq!(s.object_bytes(BUCKET, "huge.txt"), None);
    assert_eq!(s.object_bytes(BUCKET, "k"), None);
}
