//! `Decimal`: an exact decimal number as Visma sends amounts in GET bodies, convertible to integer minor units.
//! No floating-point arithmetic: a JSON number is re-read from its shortest round-trip text.

use serde::{Deserialize, Deserializer};

/// An exact decimal read from a JSON number or string: `value = digits / 10^scale`.
///
/// JSON numbers reach serde as `f64`; the shortest representation that round-trips (Rust's `Display`) is the
/// decimal Visma wrote for any value with up to 15 significant digits, so it is parsed from that text. No
/// arithmetic is done in floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// The digits, sign included.
    pub digits: i64,
    /// Places after the decimal point.
    pub scale: u32,
}

impl Decimal {
    /// Parses `-12.50`, `3`, `0.125`. `None` for anything else or more than 18 digits.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        if !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let fraction = fraction.trim_end_matches('0');
        let all: String = format!("{whole}{fraction}");
        let all = all.trim_start_matches('0');
        if all.len() > 18 {
            return None;
        }
        let magnitude: i64 = if all.is_empty() { 0 } else { all.parse().ok()? };
        let scale = u32::try_from(fraction.len()).ok()?;
        Some(Self {
            digits: if negative { -magnitude } else { magnitude },
            scale,
        })
    }

    /// The value in minor units of a currency with `decimals` places (`12.50` with 2 → 1250). `None` when the value
    /// has more places than the currency (it would need rounding) or does not fit.
    pub fn to_minor(self, decimals: u32) -> Option<i64> {
        if self.scale > decimals {
            return None;
        }
        self.digits
            .checked_mul(10i64.checked_pow(decimals - self.scale)?)
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.digits < 0 { "-" } else { "" };
        let magnitude = self.digits.unsigned_abs().to_string();
        let scale = usize::try_from(self.scale).unwrap_or(usize::MAX);
        if scale == 0 {
            return write!(f, "{sign}{magnitude}");
        }
        let padded = format!("{magnitude:0>width$}", width = scale.saturating_add(1));
        let (whole, fraction) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{whole}.{fraction}")
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Decimal;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a decimal number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal {
                    digits: v,
                    scale: 0,
                })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
                i64::try_from(v)
                    .map(|digits| Decimal { digits, scale: 0 })
                    .map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
                Decimal::parse(&v.to_string())
                    .ok_or_else(|| E::custom(format!("unsupported decimal {v}")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                Decimal::parse(v).ok_or_else(|| E::custom("unsupported decimal string"))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        let cases: &[(&str, Option<(i64, u32)>)] = &[
            ("12.50", Some((125, 1))),
            ("-0.1", Some((-1, 1))),
            ("3", Some((3, 0))),
            ("0.125", Some((125, 3))),
            ("000.000", Some((0, 0))),
            (".5", Some((5, 1))),
            ("1e5", None),
            ("", None),
            ("-", None),
            ("12.3.4", None),
            ("1234567890123456789", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                Decimal::parse(text).map(|d| (d.digits, d.scale)),
                *want,
                "{text}"
            );
        }
    }
}
