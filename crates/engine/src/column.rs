//! A column read at random, in memory the kernel may back with huge pages.
//!
//! The friends' term reads each friend's score from one column of all the
//! part's citizens (400 MB at 100 M): most friends are neighbours, but the
//! cross-region ones fall anywhere, and with 4 KiB pages nearly each such
//! read also misses the TLB. Where transparent huge pages are enabled only
//! on request (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`, a
//! common default), a heap allocation never gets them, so the column is an
//! anonymous mapping marked `MADV_HUGEPAGE`: the whole column then needs a
//! few hundred TLB entries rather than a hundred thousand. Elsewhere the
//! advice is a no-op and the column is ordinary memory. Nothing read from
//! it depends on the pages that back it.

use memmap2::MmapMut;
use rayon::prelude::*;
use std::ops::{Deref, DerefMut};

/// A fixed-length column of `i32` (see the module docs).
pub struct HugeColumn {
    map: MmapMut,
    len: usize,
}

impl HugeColumn {
    /// `len` copies of `value`. Like `vec![value; len]`, aborts when the
    /// memory cannot be had (the run's memory estimate is checked first).
    pub fn filled(len: usize, value: i32) -> Self {
        // An empty mapping is not allowed: map at least one element.
        let bytes = len.max(1) * std::mem::size_of::<i32>();
        let map = match MmapMut::map_anon(bytes) {
            Ok(map) => map,
            Err(e) => panic!("cannot map {bytes} bytes for the score column: {e}"),
        };
        #[cfg(target_os = "linux")]
        {
            // Only advice: the column works the same without huge pages.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        let mut column = HugeColumn { map, len };
        column.par_chunks_mut(1 << 20).for_each(|part| part.fill(value));
        column
    }
}

impl Deref for HugeColumn {
    type Target = [i32];

    fn deref(&self) -> &[i32] {
        &bytemuck::cast_slice(&self.map[..])[..self.len]
    }
}

impl DerefMut for HugeColumn {
    fn deref_mut(&mut self) -> &mut [i32] {
        &mut bytemuck::cast_slice_mut(&mut self.map[..])[..self.len]
    }
}

impl std::fmt::Debug for HugeColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HugeColumn").field("len", &self.len).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_what_is_written() {
        let mut c = HugeColumn::filled(1_000_003, 7);
        assert_eq!(c.len(), 1_000_003);
        assert!(c.iter().all(|&x| x == 7));
        c[1_000_002] = -5;
        c[0] = i32::MIN;
        assert_eq!((c[0], c[1], c[1_000_002]), (i32::MIN, 7, -5));
        assert!(HugeColumn::filled(0, 3).is_empty());
    }
}
