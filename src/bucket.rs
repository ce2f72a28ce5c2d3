//! The bucketing contract (`shared/spec/bucketing.md`): how a unit (a user
//! id, a tenant id...) lands in a rollout or a variant. Every runtime must
//! produce these numbers bit for bit; changing any byte here reshuffles
//! every running rollout and experiment.

use md5::{Digest, Md5};

const MAX32: f64 = 4_294_967_295.0;

/// The bucket of `unit` under `salt`: `int(md5_hex(salt + ":" + unit)[0:8],
/// 16) / 0xFFFFFFFF * 100`, an `f64` in `[0, 100]`, uniform over units.
///
/// The operations run in the contract's order (divide, then multiply), so
/// the result equals Python's reference bit for bit. The hash is fed the
/// three pieces in turn (RustCrypto's `md-5`), so no `salt:unit` string is
/// built.
///
/// ```
/// assert_eq!(edgeflags::bucket("ai_recommendations", "tenant/920049642"), 17.89072070221666);
/// ```
pub fn bucket(salt: &str, unit: &str) -> f64 {
    let digest = Md5::new().chain_update(salt).chain_update(b":").chain_update(unit).finalize();
    // The first 8 hex digits are the first 4 bytes, big-endian.
    let top = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    (f64::from(top) / MAX32) * 100.0
}

/// Whether a unit with bucket `b` is in a rollout of `percentage`:
/// 100 or more takes everyone (the bucket can be exactly 100.0), 0 or less
/// (or NaN) no one, otherwise `b < percentage`. Monotonic in `percentage`.
pub fn bucket_in_rollout(b: f64, percentage: f64) -> bool {
    if percentage >= 100.0 {
        true
    } else if percentage > 0.0 {
        b < percentage
    } else {
        false
    }
}

/// [`bucket`] then [`bucket_in_rollout`].
pub fn in_rollout(salt: &str, unit: &str, percentage: f64) -> bool {
    bucket_in_rollout(bucket(salt, unit), percentage)
}

/// The index of the weighted variant for bucket `b`: walk `weights` in
/// order summing them; the first whose running total exceeds `b` wins; a
/// bucket at or past the total takes the last. `None` only for no weights.
pub fn pick_weighted<I: IntoIterator<Item = f64>>(b: f64, weights: I) -> Option<usize> {
    let mut total = 0.0;
    let mut last = None;
    for (i, w) in weights.into_iter().enumerate() {
        total += w;
        if b < total {
            return Some(i);
        }
        last = Some(i);
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_values() {
        assert_eq!(bucket("exp.checkout.v2", "485151261"), 93.18313596145788);
        assert_eq!(bucket("ünïcode_flag", "tenant/510846881"), 6.349736407014945);
        assert_eq!(bucket("", "user-101064292"), 28.778614646005124);
    }

    #[test]
    fn rollout_edges() {
        assert!(bucket_in_rollout(100.0, 100.0));
        assert!(!bucket_in_rollout(0.0, 0.0));
        assert!(!bucket_in_rollout(0.0, -5.0));
        assert!(!bucket_in_rollout(0.0, f64::NAN));
        assert!(bucket_in_rollout(19.99, 20.0));
        assert!(!bucket_in_rollout(20.0, 20.0));
    }

    #[test]
    fn weighted_walk() {
        let w = [50.0, 25.0, 25.0];
        assert_eq!(pick_weighted(0.0, w), Some(0));
        assert_eq!(pick_weighted(50.0, w), Some(1));
        assert_eq!(pick_weighted(99.9, w), Some(2));
        assert_eq!(pick_weighted(100.0, w), Some(2));
        assert_eq!(pick_weighted(99.0, [33.0, 33.0, 33.0]), Some(2));
        assert_eq!(pick_weighted(1.0, std::iter::empty()), None);
    }
}
