//! Part sizing: pure arithmetic over S3's limits. A known size gets one part size that fits the
//! part limit; an unknown-length stream gets part sizes that grow as it goes, so that it can
//! reach the object size limit within the part limit without `--expected-size`.

pub const MIB: u64 = 1024 * 1024;
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;

/// S3's multipart limits (the test server can shrink them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub min_part_size: u64,
    pub max_part_size: u64,
    pub max_parts: u32,
    pub max_object_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            min_part_size: 5 * MIB,
            max_part_size: MAX_PART_SIZE,
            max_parts: 10_000,
            max_object_size: MAX_OBJECT_SIZE,
        }
    }
}

/// How parts are sized for one upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartPlan {
    /// Every part this size (the last may be smaller).
    Fixed(u64),
    /// Starts at `first` and doubles every `parts_per_step` parts, up to the maximum part size.
    Growing {
        first: u64,
        parts_per_step: u32,
        max: u64,
    },
}

impl PartPlan {
    /// The size of part `number` (1-based).
    pub fn part_size(&self, number: u32) -> u64 {
        match *self {
            Self::Fixed(size) => size,
            Self::Growing {
                first,
                parts_per_step,
                max,
            } => {
                let doublings = (number.saturating_sub(1) / parts_per_step.max(1)).min(40);
                first.saturating_mul(1u64 << doublings).min(max)
            }
        }
    }

    /// The most bytes `parts` parts can carry under this plan.
    pub fn capacity(&self, parts: u32) -> u64 {
        match *self {
            Self::Fixed(size) => size.saturating_mul(u64::from(parts)),
            Self::Growing { .. } => (1..=parts)
                .map(|n| self.part_size(n))
                .fold(0u64, u64::saturating_add),
        }
    }
}

/// Chooses the plan: `requested` part size, raised as needed so `size` (or, for a stream, the
/// object size limit) fits in the part limit.
///
/// # Errors
/// A message when the limits cannot be met (object too large, part size out of range).
pub fn plan(requested: u64, size: Option<u64>, limits: &Limits) -> Result<PartPlan, String> {
    if requested < limits.min_part_size {
        return Err(format!(
            "part size {requested} is below the minimum of {} bytes",
            limits.min_part_size
        ));
    }
    if requested > limits.max_part_size {
        return Err(format!(
            "part size {requested} is above the maximum of {} bytes",
            limits.max_part_size
        ));
    }
    match size {
        Some(size) => {
            if size > limits.max_object_size {
                return Err(format!(
                    "{size} bytes is more than the largest object S3 stores ({} bytes)",
                    limits.max_object_size
                ));
            }
            let parts = u64::from(limits.max_parts);
            let needed = size.div_ceil(parts).max(requested);
            let rounded = needed
                .div_ceil(MIB)
                .saturating_mul(MIB)
                .min(limits.max_part_size)
                .max(needed);
            if rounded.saturating_mul(parts) < size || rounded > limits.max_part_size {
                return Err(format!(
                    "{size} bytes cannot be uploaded in {} parts of at most {} bytes",
                    limits.max_parts, limits.max_part_size
                ));
            }
            Ok(PartPlan::Fixed(rounded))
        }
        None => {
            // Double every tenth of the part limit: ten steps reach 2^9 times the first size.
            let plan = PartPlan::Growing {
                first: requested,
                parts_per_step: (limits.max_parts / 10).max(1),
                max: limits.max_part_size,
            };
            Ok(plan)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sizes_fit_the_part_limit() {
        let l = Limits::default();
        assert_eq!(
            plan(8 * MIB, Some(100 * MIB), &l),
            Ok(PartPlan::Fixed(8 * MIB))
        );
        let big = 200 * 1024 * MIB; // 200 GiB needs > 8 MiB parts
        let PartPlan::Fixed(size) = plan(8 * MIB, Some(big), &l).expect("plan") else {
            panic!("fixed")
        };
        assert!(size * 10_000 >= big && size % MIB == 0);
        assert!(plan(8 * MIB, Some(MAX_OBJECT_SIZE + 1), &l).is_err());
        assert!(plan(MIB, Some(10), &l).is_err());
    }

    #[test]
    fn streams_reach_five_tib_within_ten_thousand_parts() {
        let l = Limits::default();
        let p = plan(8 * MIB, None, &l).expect("plan");
        assert!(
            p.capacity(10_000) >= MAX_OBJECT_SIZE,
            "{}",
            p.capacity(10_000)
        );
        assert_eq!(p.part_size(1), 8 * MIB);
        assert_eq!(p.part_size(1001), 16 * MIB);
        assert!(p.part_size(10_000) <= MAX_PART_SIZE);
        let small = Limits {
            min_part_size: 64 * 1024,
            max_parts: 100,
            ..Limits::default()
        };
        let p = plan(64 * 1024, None, &small).expect("plan");
        assert!(p.capacity(100) >= 50 * MIB);
    }
}
