//! Fault injection, deterministic for a given seed and request order: which fault (503
//! SlowDown, 500 InternalError, a connection reset in the middle of the request body or of the
//! answer's body, a delayed answer, an answer that stalls mid-body, one byte of the answer's
//! body flipped, CompleteMultipartUpload answering 200 with an `<Error>`) hits which request, by
//! operation and trigger (the Nth matching request, the first N, every Nth, or a seeded rate).
//! It decides only; the front door (and `fault_body` for the answer's body) carries the fault
//! out and logs it.

use std::sync::Mutex;

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// `503 SlowDown` (the request body is read, then refused).
    SlowDown,
    /// `500 InternalError` (the request body is read, then refused).
    InternalError,
    /// The connection is reset (RST) after this many request body bytes were read.
    ResetBody {
        /// Bytes of the body read before the reset.
        after_bytes: u64,
    },
    /// The request runs normally but its answer is held back this long.
    Delay {
        /// Milliseconds.
        millis: u64,
    },
    /// CompleteMultipartUpload answers 200 with an `<Error>` body (InternalError) and does
    /// nothing: the upload stays intact.
    CompleteError,
    /// The request runs; its answer's body stops after this many bytes and the connection is
    /// reset (RST), as when a download breaks. A shorter body ends normally.
    ResetResponse {
        /// Bytes of the answer's body sent before the reset.
        after_bytes: u64,
    },
    /// The request runs; its answer's body pauses after this many bytes (a stalled download).
    Stall {
        /// Bytes of the answer's body sent before the pause.
        after_bytes: u64,
        /// Milliseconds.
        millis: u64,
    },
    /// The request runs; one byte of its answer's body is inverted (headers, ETag and
    /// checksums unchanged, storage untouched), so a client must detect the corruption.
    Corrupt {
        /// Offset of the flipped byte in the answer's body (none when the body is shorter).
        at_byte: u64,
    },
}

impl FaultKind {
    /// The name the access log shows (`fault:NAME`).
    pub fn name(self) -> String {
        match self {
            Self::SlowDown => "slowdown".to_owned(),
            Self::InternalError => "internal-error".to_owned(),
            Self::ResetBody { after_bytes } => format!("reset-after-{after_bytes}"),
            Self::Delay { millis } => format!("delay-{millis}ms"),
            Self::CompleteError => "complete-200-error".to_owned(),
            Self::ResetResponse { after_bytes } => format!("reset-response-after-{after_bytes}"),
            Self::Stall {
                after_bytes,
                millis,
            } => {
                format!("stall-after-{after_bytes}-{millis}ms")
            }
            Self::Corrupt { at_byte } => format!("corrupt-byte-{at_byte}"),
        }
    }
}

/// Which matching requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// Only the Nth (1-based).
    Nth(u64),
    /// The first N.
    First(u64),
    /// Every Nth (N, 2N, ...).
    Every(u64),
    /// Each with this probability, from the seeded generator.
    Rate(f64),
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// Access-log operation it applies to (e.g. `REST.PUT.PART`); `None`: every request
    /// (CompleteMultipartUpload only, for [`FaultKind::CompleteError`]).
    pub operation: Option<String>,
    /// Which of the matching requests.
    pub trigger: Trigger,
}

fn num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("fault option {key}={v}: not a number"))
}

impl Fault {
    /// Parses `KIND[@OPERATION][:KEY=VALUE]...`, e.g. `slowdown@REST.PUT.PART:rate=0.2`,
    /// `reset@REST.PUT.PART:nth=2:after=65536`, `delay:first=1:ms=3000`, `complete-error`,
    /// `reset-response@REST.GET.OBJECT:after=1000`, `stall@REST.GET.OBJECT:after=0:ms=4000`,
    /// `corrupt@REST.GET.OBJECT:every=1:after=10`. Kinds: slowdown, internal-error, reset
    /// (request body), delay, complete-error, reset-response, stall, corrupt (answer body).
    /// Triggers: nth, first, every, rate (default nth=1). `after`: bytes before the reset or
    /// stall (default 65536), or the offset of the corrupted byte (default 0); `ms`: the delay
    /// or stall (default 5000).
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut fields = spec.split(':');
        let head = fields.next().unwrap_or_default();
        let (kind_name, operation) = match head.split_once('@') {
            Some((k, op)) => (k, Some(op.to_owned())),
            None => (head, None),
        };
        let (mut trigger, mut after, mut millis) = (Trigger::Nth(1), None, 5_000u64);
        for f in fields {
            let (k, v) = f
                .split_once('=')
                .ok_or_else(|| format!("fault option '{f}': use KEY=VALUE"))?;
            match k {
                "nth" => trigger = Trigger::Nth(num(k, v)?),
                "first" => trigger = Trigger::First(num(k, v)?),
                "every" => trigger = Trigger::Every(num::<u64>(k, v)?.max(1)),
                "rate" => {
                    let r: f64 = num(k, v)?;
                    if !(0.0..=1.0).contains(&r) {
                        return Err(format!("fault rate {v}: use 0 to 1"));
                    }
                    trigger = Trigger::Rate(r);
                }
                "after" => after = Some(num(k, v)?),
                "ms" => millis = num(k, v)?,
                _ => {
                    return Err(format!(
                        "fault option '{k}': use nth, first, every, rate, after or ms"
                    ))
                }
            }
        }
        let after_bytes = after.unwrap_or(65_536);
        let kind = match kind_name {
            "slowdown" => FaultKind::SlowDown,
            "internal-error" => FaultKind::InternalError,
            "reset" => FaultKind::ResetBody { after_bytes },
            "delay" => FaultKind::Delay { millis },
            "complete-error" => FaultKind::CompleteError,
            "reset-response" => FaultKind::ResetResponse { after_bytes },
            "stall" => FaultKind::Stall {
                after_bytes,
                millis,
            },
            "corrupt" => FaultKind::Corrupt {
                at_byte: after.unwrap_or(0),
            },
            other => {
                return Err(format!(
                    "fault '{other}': use slowdown, internal-error, reset, delay, complete-error, \
                     reset-response, stall or corrupt"
                ))
            }
        };
        Ok(Self {
            kind,
            operation,
            trigger,
        })
    }

    fn matches(&self, operation: &str) -> bool {
        match (&self.operation, self.kind) {
            (Some(op), _) => op == operation,
            (None, FaultKind::CompleteError) => operation == "REST.POST.UPLOAD",
            (None, _) => true,
        }
    }
}

/// Rules plus their counters and generators.
#[derive(Debug)]
pub struct FaultPlan {
    rules: Vec<(Fault, Mutex<RuleState>)>,
}

#[derive(Debug)]
struct RuleState {
    seen: u64,
    rng: u64,
}

/// splitmix64: a small, well-mixed generator (enough for choosing faults).
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl FaultPlan {
    /// A plan for `faults`, seeded.
    pub fn new(faults: &[Fault], seed: u64) -> Self {
        let rules = faults
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let rng =
                    seed ^ (u64::try_from(i).unwrap_or(0) + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
                (f.clone(), Mutex::new(RuleState { seen: 0, rng }))
            })
            .collect();
        Self { rules }
    }

    /// The fault (first matching rule that fires) for the next request of `operation`.
    /// Every matching rule counts the request, fired or not.
    pub fn decide(&self, operation: &str) -> Option<FaultKind> {
        let mut chosen = None;
        for (fault, state) in &self.rules {
            if !fault.matches(operation) {
                continue;
            }
            let mut st = state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            st.seen += 1;
            let fire = match fault.trigger {
                Trigger::Nth(n) => st.seen == n,
                Trigger::First(n) => st.seen <= n,
                Trigger::Every(n) => st.seen % n.max(1) == 0,
                Trigger::Rate(r) => {
                    #[allow(clippy::cast_precision_loss)] // 53 random bits are plenty here
                    let x = (next_random(&mut st.rng) >> 11) as f64 / (1u64 << 53) as f64;
                    x < r
                }
            };
            if fire && chosen.is_none() {
                chosen = Some(fault.kind);
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let f = Fault::parse("reset@REST.PUT.PART:nth=2:after=100").expect("valid");
        assert_eq!(f.kind, FaultKind::ResetBody { after_bytes: 100 });
        assert_eq!(f.operation.as_deref(), Some("REST.PUT.PART"));
        assert_eq!(f.trigger, Trigger::Nth(2));
        assert_eq!(
            Fault::parse("slowdown:rate=0.5").expect("valid").trigger,
            Trigger::Rate(0.5)
        );
        assert_eq!(
            Fault::parse("delay:ms=10").expect("valid").kind,
            FaultKind::Delay { millis: 10 }
        );
        assert_eq!(
            Fault::parse("corrupt@REST.GET.OBJECT:every=1")
                .expect("valid")
                .kind,
            FaultKind::Corrupt { at_byte: 0 }
        );
        assert_eq!(
            Fault::parse("stall:after=10:ms=20").expect("valid").kind,
            FaultKind::Stall {
                after_bytes: 10,
                millis: 20
            }
        );
        assert_eq!(
            Fault::parse("reset-response").expect("valid").kind,
            FaultKind::ResetResponse {
                after_bytes: 65_536
            }
        );
        assert!(Fault::parse("explode").is_err());
        assert!(Fault::parse("slowdown:rate=2").is_err());
        assert!(Fault::parse("slowdown:often").is_err());
    }

    #[test]
    fn triggers_count_matching_requests() {
        let plan = FaultPlan::new(
            &[
                Fault::parse("slowdown@REST.PUT.PART:nth=2").expect("valid"),
                Fault::parse("internal-error@REST.PUT.OBJECT:every=2").expect("valid"),
                Fault::parse("complete-error:first=1").expect("valid"),
            ],
            7,
        );
        assert_eq!(plan.decide("REST.PUT.PART"), None);
        assert_eq!(plan.decide("REST.GET.OBJECT"), None);
        assert_eq!(plan.decide("REST.PUT.PART"), Some(FaultKind::SlowDown));
        assert_eq!(plan.decide("REST.PUT.PART"), None);
        assert_eq!(plan.decide("REST.PUT.OBJECT"), None);
        assert_eq!(
            plan.decide("REST.PUT.OBJECT"),
            Some(FaultKind::InternalError)
        );
        assert_eq!(
            plan.decide("REST.POST.UPLOAD"),
            Some(FaultKind::CompleteError)
        );
        assert_eq!(plan.decide("REST.POST.UPLOAD"), None);
    }

    #[test]
    fn rates_are_deterministic_per_seed() {
        let run = |seed| {
            let plan = FaultPlan::new(&[Fault::parse("slowdown:rate=0.3").expect("valid")], seed);
            (0..200)
                .map(|_| plan.decide("REST.PUT.PART").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
        let hits = run(3).iter().filter(|h| **h).count();
        assert!((30..=90).contains(&hits), "{hits} of 200 at rate 0.3");
    }
}
