//! One small sort and one name index for the whole core.
//!
//! The standard library's sorts and hash maps are fast but large, and each
//! element type instantiates them again: in the browser build they were
//! about 20 KB of the wasm (twiggy, scripts/size.sh). Every sort in the core
//! runs once, at load time, so a heapsort taking its comparison as a trait
//! object (one small copy per element type, none per call site) is the
//! better trade; lookups by name go through a sorted vector.

/// Sorts `v` in place by `less` (not stable; O(n log n), no allocation).
pub(crate) fn sort_by<T>(v: &mut [T], less: &dyn Fn(&T, &T) -> bool) {
    fn sift<T>(v: &mut [T], mut node: usize, end: usize, less: &dyn Fn(&T, &T) -> bool) {
        loop {
            let mut child = 2 * node + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && less(&v[child], &v[child + 1]) {
                child += 1;
            }
            if !less(&v[node], &v[child]) {
                return;
            }
            v.swap(node, child);
            node = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift(v, i, n, less);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift(v, 0, end, less);
    }
}

/// Sorts names and drops repeats.
pub(crate) fn sort_dedup_strs(v: &mut Vec<&str>) {
    sort_by(v, &|a, b| a < b);
    v.dedup();
}

/// Names (flag keys, segment names) to their indices: a sorted vector,
/// searched by bisection.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex(Vec<(Box<str>, u32)>);

impl NameIndex {
    /// An index of `names`; for a repeated name, the last index wins.
    pub(crate) fn new<'a>(names: impl Iterator<Item = &'a str>) -> NameIndex {
        let mut v: Vec<(Box<str>, u32)> = names.enumerate().map(|(i, n)| (n.into(), i as u32)).collect();
        sort_by(&mut v, &|a, b| (&a.0, a.1) < (&b.0, b.1));
        // Keep the last of each run of equal names.
        let mut out: Vec<(Box<str>, u32)> = Vec::with_capacity(v.len());
        for item in v {
            match out.last_mut() {
                Some(last) if last.0 == item.0 => *last = item,
                _ => out.push(item),
            }
        }
        NameIndex(out)
    }

    /// The index of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(name)).ok().map(|i| self.0[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_std() {
        let mut seed = 12345u64;
        for len in [0usize, 1, 2, 3, 10, 100, 1000] {
            let mut v: Vec<u64> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    seed >> 54
                })
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_by(&mut v, &|a, b| a < b);
            assert_eq!(v, want, "len {len}");
        }
    }

    #[test]
    fn index_finds_every_name_and_no_other() {
        let names = ["b", "a", "c", "a"];
        let idx = NameIndex::new(names.iter().copied());
        assert_eq!(idx.get("a"), Some(3));
        assert_eq!(idx.get("b"), Some(0));
        assert_eq!(idx.get("c"), Some(2));
        assert_eq!(idx.get("d"), None);
        assert_eq!(NameIndex::default().get("a"), None);
    }
}
