//! One small sort and one name index for the whole core.
//!
//! The standard library's sorts and hash maps are fast but large, and each
//! element type instantiates them again: in the browser build they were
//! about 20 KB of the wasm (twiggy, scripts/size.sh). Every sort in the core
//! runs once, at load time, so a heapsort taking its comparison as a trait
//! object (one small copy per element type, none per call site) is the
//! better trade; lookups by name, repeats and deduplication go through one
//! small hash table of indices.

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

/// Sorts names and drops repeats. The repeats go first, through a hash
/// table: the attribute lists of a large ruleset are mostly the same few
/// names, and sorting them all was a tenth of loading one.
pub(crate) fn sort_dedup_strs(v: &mut Vec<&str>) {
    let mut table = Table::new(v.len());
    let mut unique = 0;
    for i in 0..v.len() {
        let slot = table.find(v[i], &|j| v[j as usize]);
        if table.0[slot] == 0 {
            table.0[slot] = unique as u32 + 1;
            v.swap(unique, i);
            unique += 1;
        }
    }
    v.truncate(unique);
    sort_by(v, &|a, b| a < b);
}

/// A short hash for names (FxHash's step, four bytes at a time, the high
/// bits folded down since the table keeps the low ones). Not keyed: a
/// ruleset crafted to collide makes its own load quadratic, as the sorted
/// scans before it were not, but rulesets come from their owners and are
/// limited in size.
fn hash(s: &str) -> u32 {
    let step = |h: u32, w: u32| (h.rotate_left(5) ^ w).wrapping_mul(0x9e37_79b9);
    let mut words = s.as_bytes().chunks_exact(4);
    let mut h = s.len() as u32;
    for w in &mut words {
        h = step(h, u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
    }
    for &b in words.remainder() {
        h = step(h, u32::from(b));
    }
    h ^ h >> 16
}

/// An open-addressing hash table of indices into a list of names kept
/// elsewhere: each slot holds an index + 1, or 0 when empty. At least
/// twice as many slots as names, so probes stay short.
#[derive(Debug, Clone, Default)]
struct Table(Vec<u32>);

impl Table {
    fn new(names: usize) -> Table {
        Table(vec![0; (2 * names).next_power_of_two()])
    }

    /// The slot holding `name` (compared through `name_at`, which maps an
    /// index to its name), or else the empty slot where it belongs.
    fn find<'a>(&self, name: &str, name_at: &dyn Fn(u32) -> &'a str) -> usize {
        let mask = self.0.len() - 1;
        let mut i = hash(name) as usize & mask;
        loop {
            match self.0[i] {
                0 => return i,
                s if name_at(s - 1) == name => return i,
                _ => i = (i + 1) & mask,
            }
        }
    }
}

/// The first index at which `names` repeats an earlier name.
pub(crate) fn first_repeat<'a>(n: usize, name_at: &dyn Fn(u32) -> &'a str) -> Option<usize> {
    let mut table = Table::new(n);
    for i in 0..n {
        let slot = table.find(name_at(i as u32), name_at);
        if table.0[slot] != 0 {
            return Some(i);
        }
        table.0[slot] = i as u32 + 1;
    }
    None
}

/// Names (flag keys, segment names) to their indices: a hash table over
/// the names in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    names: Vec<Box<str>>,
    table: Table,
}

impl NameIndex {
    /// An index of `names`; for a repeated name, the last index wins.
    pub(crate) fn new<'a>(names: impl Iterator<Item = &'a str>) -> NameIndex {
        let names: Vec<Box<str>> = names.map(Box::from).collect();
        let mut table = Table::new(names.len());
        for i in 0..names.len() {
            let slot = table.find(&names[i], &|j| &names[j as usize]);
            table.0[slot] = i as u32 + 1;
        }
        NameIndex { names, table }
    }

    /// The index of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        if self.names.is_empty() {
            return None;
        }
        let slot = self.table.find(name, &|j| &self.names[j as usize]);
        self.table.0[slot].checked_sub(1)
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

    #[test]
    fn dedup_and_repeats_agree_with_a_scan() {
        let mut seed = 99u64;
        for len in [0usize, 1, 2, 5, 40, 300] {
            let owned: Vec<String> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    format!("n{}", seed >> 58)
                })
                .collect();
            let mut v: Vec<&str> = owned.iter().map(String::as_str).collect();
            let mut want = v.clone();
            want.sort_unstable();
            want.dedup();
            let want_repeat = (0..len).find(|&i| owned[..i].contains(&owned[i]));
            assert_eq!(first_repeat(len, &|i| &owned[i as usize]), want_repeat, "len {len}");
            sort_dedup_strs(&mut v);
            assert_eq!(v, want, "len {len}");
        }
    }
}
