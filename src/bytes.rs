//! Byte search tuned for the short lines of test output.
//!
//! `memchr` is the right tool for long haystacks, but most lines a test
//! run prints are a few dozen bytes, and most JSON strings fewer, where its
//! call and setup cost more than the search. Both searches here look at
//! sixteen bytes at a time with SSE2 on x86-64 (through `safe_arch`: no
//! `unsafe` here), eight (SWAR) elsewhere:
//!
//! * [`find_byte`]: a newline, in line for the first 64 bytes, then
//!   `memchr`;
//! * [`json_string_stop`]: where a JSON string's text stops (a `"`, a `\`,
//!   or a byte below 0x20, which a JSON string cannot hold).
//!
//! And [`at_most`], the longest start of a string that fits a byte bound
//! (what every bounded line, headline and title is cut to).

/// The longest start of `s` of at most `max` bytes that ends on a
/// character boundary.
pub(crate) fn at_most(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

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

/// The index of the first `"`, `\` or byte below 0x20 in `b` at or after
/// `i`.
#[inline]
pub(crate) fn json_string_stop(b: &[u8], i: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    return sse2::json_string_stop(b, i);
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    return json_string_stop_swar(b, i);
}

/// Whether `hay` holds a `-` or a `=` (where a `go test` framing line can
/// start in the middle of a text line; almost no line has either).
#[inline]
pub(crate) fn has_dash_or_equals(hay: &[u8]) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if hay.len() >= 16 {
        return sse2::has_dash_or_equals(hay);
    }
    has_dash_or_equals_swar(hay)
}

/// High bits set on the bytes of `x` that are `-` or `=`, the two bytes
/// whose `| 0x10` is `=` (a false flag only sits above a true one).
#[inline(always)]
fn dash_or_equals(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let y = (x | (ONES * 0x10)) ^ (ONES * u64::from(b'='));
    y.wrapping_sub(ONES) & !y & HIGH
}

/// [`has_dash_or_equals`] eight bytes at a time; the last eight overlap
/// the word before them rather than leaving a tail.
fn has_dash_or_equals_swar(hay: &[u8]) -> bool {
    let n = hay.len();
    if n < 8 {
        return hay.iter().any(|&c| c | 0x10 == b'=');
    }
    let word = |i: usize| {
        hay.get(i..i + 8)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    };
    let mut i = 0;
    while i + 8 < n {
        if dash_or_equals(word(i)) != 0 {
            return true;
        }
        i += 8;
    }
    dash_or_equals(word(n - 8)) != 0
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use safe_arch::{
        cmp_eq_mask_i8_m128i, load_unaligned_m128i, m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };

    /// Whether a byte of `x` is `-` or `=`.
    #[inline(always)]
    fn dash_or_equals(x: m128i) -> bool {
        let t = x | set_splat_i8_m128i(0x10);
        move_mask_i8_m128i(cmp_eq_mask_i8_m128i(t, set_splat_i8_m128i(b'=' as i8))) != 0
    }

    /// For `hay` of sixteen bytes or more: sixteen at a time, the last
    /// sixteen overlapping those before.
    #[inline]
    pub(super) fn has_dash_or_equals(hay: &[u8]) -> bool {
        let n = hay.len();
        let block = |i: usize| -> Option<bool> {
            Some(dash_or_equals(load_unaligned_m128i(
                hay.get(i..i + 16)?.try_into().ok()?,
            )))
        };
        let mut i = 0;
        while i + 16 < n {
            if block(i) == Some(true) {
                return true;
            }
            i += 16;
        }
        n.checked_sub(16).and_then(block) == Some(true)
    }

    /// Bit `k` set when byte `k` of `x` stops a JSON string.
    #[inline(always)]
    fn stops(x: m128i) -> u32 {
        let quote = set_splat_i8_m128i(b'"' as i8);
        let backslash = set_splat_i8_m128i(b'\\' as i8);
        // x ≤ 0x1F (unsigned) exactly when min(x, 0x1F) == x.
        let below = set_splat_i8_m128i(0x1f);
        let m = cmp_eq_mask_i8_m128i(x, quote)
            | cmp_eq_mask_i8_m128i(x, backslash)
            | cmp_eq_mask_i8_m128i(min_u8_m128i(x, below), x);
        move_mask_i8_m128i(m) as u32
    }

    #[inline]
    pub(super) fn json_string_stop(b: &[u8], mut i: usize) -> Option<usize> {
        while let Some(w) = b.get(i..i + 16) {
            let m = stops(load_unaligned_m128i(w.try_into().ok()?));
            if m != 0 {
                return Some(i + m.trailing_zeros() as usize);
            }
            i += 16;
        }
        // Fewer than sixteen bytes left: the slice's last sixteen, with the
        // flags of those before `b[i]` shifted out.
        let n = b.len();
        let Some(last) = n.checked_sub(16).and_then(|s| b.get(s..)) else {
            return super::json_string_stop_swar(b, i);
        };
        let skip = i.checked_sub(n - 16).filter(|&s| s < 16)?;
        let m = stops(load_unaligned_m128i(last.try_into().ok()?)) >> skip;
        (m != 0).then(|| i + m.trailing_zeros() as usize)
    }
}

/// [`json_string_stop`], eight bytes at a time in a `u64`.
fn json_string_stop_swar(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(w) = b.get(i..i + 8) {
        let m = stops(u64::from_le_bytes(w.try_into().ok()?));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    // Fewer than eight bytes left: the slice's last eight, shifted so that
    // the first is `b[i]` (zeros come in at the top: a stop past the end,
    // rejected below).
    let n = b.len();
    let Some(last) = n.checked_sub(8).and_then(|s| b.get(s..)) else {
        return b
            .get(i..)?
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            .map(|p| i + p);
    };
    let skip = i.checked_sub(n - 8).filter(|&s| s < 8)?;
    let x = u64::from_le_bytes(last.try_into().ok()?) >> (skip * 8);
    let m = stops(x);
    let at = i + (m.trailing_zeros() / 8) as usize;
    (m != 0 && at < n).then_some(at)
}

/// High bits set on the bytes of `x` that are `"`, `\` or below 0x20. The
/// lowest one is always exact: a false flag only sits above a true one.
#[inline(always)]
fn stops(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let q = x ^ (ONES * u64::from(b'"'));
    let s = x ^ (ONES * u64::from(b'\\'));
    let controls = x.wrapping_sub(ONES * 0x20) & !x;
    ((q.wrapping_sub(ONES) & !q) | (s.wrapping_sub(ONES) & !s) | controls) & HIGH
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn at_most_ends_on_a_character_boundary() {
        assert_eq!(at_most("abc", 5), "abc");
        assert_eq!(at_most("abc", 2), "ab");
        // `é` is two bytes: a cut inside it keeps what is before it.
        assert_eq!(at_most("aéb", 2), "a");
        assert_eq!(at_most("aéb", 3), "aé");
        assert_eq!(at_most("", 0), "");
    }

    proptest! {
        /// Both string-stop searches (SSE2 and SWAR) find what a
        /// byte-by-byte search finds.
        #[test]
        fn json_string_stops(
            bytes in prop::collection::vec(prop_oneof![
                Just(b'"'), Just(b'\\'), Just(b'\n'), 0u8..0x20, 0x20u8..=0xff, Just(b'a')
            ], 0..80),
            at in any::<prop::sample::Index>(),
        ) {
            let i = at.index(bytes.len() + 1);
            let naive = bytes
                .get(i..)
                .and_then(|r| r.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20))
                .map(|p| i + p);
            prop_assert_eq!(json_string_stop(&bytes, i), naive);
            prop_assert_eq!(json_string_stop_swar(&bytes, i), naive);
        }

        #[test]
        fn find_byte_is_position(
            hay in prop::collection::vec(prop_oneof![Just(b'\n'), any::<u8>(), Just(b'a')], 0..200),
            needle in prop_oneof![Just(b'\n'), any::<u8>()],
        ) {
            prop_assert_eq!(find_byte(needle, &hay), hay.iter().position(|&b| b == needle));
        }
    }

    /// At the very end of a slice of any length (the proptest's saved
    /// case: a shift overflow in the SWAR tail), there is nothing to find.
    #[test]
    fn dash_or_equals_at_every_offset_and_length() {
        for n in 0..80 {
            let mut s = vec![b'a'; n];
            assert!(!has_dash_or_equals(&s), "{n}");
            assert!(!has_dash_or_equals_swar(&s), "{n}");
            for i in 0..n {
                for c in [b'-', b'=', b'\r', 0xbd, 0x3c, 0x2e, 0x1d] {
                    s[i] = c;
                    let want = c == b'-' || c == b'=';
                    assert_eq!(has_dash_or_equals(&s), want, "{c} at {i} of {n}");
                    assert_eq!(has_dash_or_equals_swar(&s), want, "{c} at {i} of {n}");
                    s[i] = b'a';
                }
            }
        }
    }

    #[test]
    fn json_string_stop_at_the_end() {
        for len in 0..40 {
            let b = vec![b'"'; len];
            assert_eq!(json_string_stop(&b, len), None, "{len}");
            assert_eq!(json_string_stop_swar(&b, len), None, "{len}");
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
