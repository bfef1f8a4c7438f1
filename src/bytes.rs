//! Byte search tuned for the short lines of test output.
//!
//! `memchr` is the right tool for long haystacks, but most lines a test
//! run prints are a few dozen bytes, where its call and setup cost more
//! than the search. [`find_byte`] looks at the first 64 bytes in line
//! (sixteen at a time with SSE2 on x86-64, through `safe_arch`: no
//! `unsafe` here) and hands longer haystacks to `memchr`.

/// The index of the first `needle` in `hay`.
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    const SHORT: usize = 64;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use safe_arch::{
            cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i, set_splat_i8_m128i,
        };
        let n = set_splat_i8_m128i(needle as i8);
        let mut i = 0;
        while i < SHORT {
            let Some(w) = hay.get(i..i + 16) else {
                // Fewer than sixteen bytes left.
                return hay[i..].iter().position(|&b| b == needle).map(|p| i + p);
            };
            let w: &[u8; 16] = w.try_into().ok()?;
            let m = move_mask_i8_m128i(cmp_eq_mask_i8_m128i(load_unaligned_m128i(w), n));
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 16;
        }
        memchr::memchr(needle, &hay[SHORT..]).map(|p| SHORT + p)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        if hay.len() <= SHORT {
            return hay.iter().position(|&b| b == needle);
        }
        memchr::memchr(needle, hay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn find_byte_is_position(
            hay in prop::collection::vec(prop_oneof![Just(b'\n'), any::<u8>(), Just(b'a')], 0..200),
            needle in prop_oneof![Just(b'\n'), any::<u8>()],
        ) {
            prop_assert_eq!(find_byte(needle, &hay), hay.iter().position(|&b| b == needle));
        }
    }

    #[test]
    fn find_byte_at_every_offset() {
        for len in 0..150 {
            let mut hay = vec![b'x'; len];
            assert_eq!(find_byte(b'\n', &hay), None);
            for at in 0..len {
                hay[at] = b'\n';
                assert_eq!(find_byte(b'\n', &hay), Some(at), "{len} {at}");
                hay[at] = b'x';
            }
        }
    }
}
