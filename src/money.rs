//! Money as integer minor units: currencies with their decimals, exact decimal parsing of WooCommerce's
//! strings and numbers ("10.00", "16.943478", 575.936, ""), VAT rates and THE rounding rule.
//!
//! The one rounding rule of the crate lives here: [`round_div`] rounds half away from zero (0.005 → 0.01,
//! −0.005 → −0.01), which is what PHP's `round()` does and so what WooCommerce's `wc_round_tax_total` and
//! `wc_format_decimal` do. Every other module rounds through it. No f64 arithmetic anywhere: decimal text
//! is parsed by hand into an integer mantissa and a scale. Pure: no I/O, no globals.

use std::fmt;

/// Why a money value could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a decimal number.
    #[error("not a decimal number: {text:?}")]
    NotDecimal {
        /// The offending text (a number, never a secret).
        text: String,
    },
    /// The number does not fit (more than 18 significant digits or an i64 of minor units).
    #[error("number out of range: {text:?}")]
    OutOfRange {
        /// The offending text.
        text: String,
    },
    /// A currency code we do not know the decimals of (configure it in settings).
    #[error("unknown currency {code:?} (configure its decimals in settings)")]
    UnknownCurrency {
        /// The ISO 4217 code as received.
        code: String,
    },
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch {
        /// Left operand's code.
        left: String,
        /// Right operand's code.
        right: String,
    },
}

/// The rounding rule: `n / d` rounded half away from zero. `d` must be positive.
///
/// This is the only place that rounds. PHP's `round()` (and so WooCommerce) rounds half away from zero.
pub fn round_div(n: i128, d: i128) -> i128 {
    debug_assert!(d > 0, "round_div needs a positive divisor");
    let q = n / d;
    let r = n % d;
    if r.abs() * 2 >= d {
        q + n.signum()
    } else {
        q
    }
}

/// Splits `total` in proportion to `weights` (each share rounded by the rule; the last non-zero weight
/// takes what is left, so the shares always sum to `total`). All-zero weights put everything on the first.
pub fn split_proportionally(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    let mut shares = vec![0i64; weights.len()];
    if sum == 0 {
        if let Some(first) = shares.first_mut() {
            *first = total;
        }
        return shares;
    }
    let last = weights.iter().rposition(|w| *w != 0).unwrap_or(0);
    let mut given: i64 = 0;
    for (i, (share, w)) in shares.iter_mut().zip(weights).enumerate() {
        if i == last {
            *share = total - given;
            break;
        }
        let s = round_div(i128::from(total) * i128::from(*w) * sum.signum(), sum.abs());
        *share = i64::try_from(s).unwrap_or(0);
        given += *share;
    }
    shares
}

fn pow10(exp: u32) -> i128 {
    10i128.pow(exp)
}

/// An exact decimal number: `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal {
        mantissa: 0,
        scale: 0,
    };

    /// Builds `mantissa × 10^-scale`.
    pub fn new(mantissa: i128, scale: u32) -> Decimal {
        Decimal { mantissa, scale }
    }

    /// Parses decimal text as WooCommerce and JSON write it: optional sign, digits, optional fraction,
    /// optional exponent (`1e-7`, as serde_json prints tiny floats). Empty text (WooCommerce's `""` for a
    /// missing shipping/fee tax subtotal) is zero. Surrounding whitespace is ignored.
    ///
    /// # Errors
    /// [`MoneyError::NotDecimal`] for anything else, [`MoneyError::OutOfRange`] past 30 digits.
    pub fn parse(text: &str) -> Result<Decimal, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Ok(Decimal::ZERO);
        }
        let bad = || MoneyError::NotDecimal {
            text: text.to_owned(),
        };
        let big = || MoneyError::OutOfRange {
            text: text.to_owned(),
        };
        let (negative, rest) = match t.as_bytes().first() {
            Some(b'-') => (true, t.get(1..).unwrap_or("")),
            Some(b'+') => (false, t.get(1..).unwrap_or("")),
            _ => (false, t),
        };
        let (number, exponent) = match rest.find(['e', 'E']) {
            Some(at) => {
                let exp_text = rest.get(at + 1..).ok_or_else(bad)?;
                let exp: i32 = exp_text.parse().map_err(|_| bad())?;
                (rest.get(..at).ok_or_else(bad)?, exp)
            }
            None => (rest, 0),
        };
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        if int_part.len() + frac_part.len() > 30 {
            return Err(big());
        }
        let mut mantissa: i128 = 0;
        for c in int_part.bytes().chain(frac_part.bytes()) {
            if !c.is_ascii_digit() {
                return Err(bad());
            }
            mantissa = mantissa * 10 + i128::from(c - b'0');
        }
        let frac_len = i32::try_from(frac_part.len()).map_err(|_| big())?;
        let mut scale = frac_len - exponent;
        if scale < 0 {
            let up = u32::try_from(-scale).map_err(|_| big())?;
            if up > 30 {
                return Err(big());
            }
            mantissa = mantissa.checked_mul(pow10(up)).ok_or_else(big)?;
            scale = 0;
        }
        let scale = u32::try_from(scale).map_err(|_| big())?;
        if scale > 36 {
            // Far below any currency's minor unit: it rounds to zero.
            return Ok(Decimal::ZERO);
        }
        Ok(Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale,
        })
    }

    /// The value rounded to `decimals` places (the rounding rule), as an integer count of `10^-decimals`.
    ///
    /// # Errors
    /// [`MoneyError::OutOfRange`] when it does not fit an i64.
    pub fn round_to(self, decimals: u32) -> Result<i64, MoneyError> {
        let scaled = if self.scale <= decimals {
            self.mantissa.checked_mul(pow10(decimals - self.scale))
        } else {
            Some(round_div(self.mantissa, pow10(self.scale - decimals)))
        };
        scaled
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(|| MoneyError::OutOfRange {
                text: self.to_string(),
            })
    }

    /// The exact product of two decimals.
    pub fn times(self, other: Decimal) -> Decimal {
        Decimal {
            mantissa: self.mantissa.saturating_mul(other.mantissa),
            scale: self.scale + other.scale,
        }
    }

    /// Whether the value is exactly zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// The value from integer minor units.
    pub fn from_minor(minor: i64, decimals: u32) -> Decimal {
        Decimal {
            mantissa: i128::from(minor),
            scale: decimals,
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = usize::try_from(self.scale).unwrap_or(usize::MAX);
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int_part, frac_part) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int_part}.{frac_part}")
    }
}

/// A currency: ISO 4217 code and its number of decimals (0, 2 or 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: [u8; 3],
    decimals: u32,
}

/// The largest amount accepted from outside, in minor units.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Currencies whose decimals we know without configuration (ISO 4217 minor units).
const KNOWN: &[(&str, u32)] = &[
    ("NOK", 2),
    ("SEK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("USD", 2),
    ("GBP", 2),
    ("CHF", 2),
    ("PLN", 2),
    ("JPY", 0),
    ("ISK", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("BHD", 3),
    ("OMR", 3),
    ("JOD", 3),
    ("TND", 3),
];

impl Currency {
    /// A currency from a code, using the built-in table and then `configured` (code, decimals) pairs.
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] for a code that is not three ASCII letters or whose decimals are
    /// unknown, or configured outside 0..=3.
    pub fn parse(code: &str, configured: &[(String, u32)]) -> Result<Currency, MoneyError> {
        let unknown = || MoneyError::UnknownCurrency {
            code: code.to_owned(),
        };
        let upper = code.trim().to_ascii_uppercase();
        let bytes: [u8; 3] = upper.as_bytes().try_into().map_err(|_| unknown())?;
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(unknown());
        }
        let decimals = configured
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(&upper))
            .map(|(_, d)| *d)
            .or_else(|| KNOWN.iter().find(|(c, _)| *c == upper).map(|(_, d)| *d))
            .filter(|d| *d <= 3)
            .ok_or_else(unknown)?;
        Ok(Currency {
            code: bytes,
            decimals,
        })
    }

    /// The ISO code, e.g. `NOK`.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Decimals of the minor unit (NOK 2, JPY 0, KWD 3).
    pub fn decimals(&self) -> u32 {
        self.decimals
    }

    /// Parses decimal text into this currency's minor units, rounding by the rule.
    ///
    /// # Errors
    /// See [`Decimal::parse`] and [`Decimal::round_to`].
    pub fn parse_minor(&self, text: &str) -> Result<i64, MoneyError> {
        let minor = Decimal::parse(text)?.round_to(self.decimals)?;
        // 10^15 minor units (10 000 billion NOK) is far past any order and keeps every sum of lines
        // far from i64 overflow.
        if minor.abs() > MAX_MINOR {
            return Err(MoneyError::OutOfRange {
                text: text.to_owned(),
            });
        }
        Ok(minor)
    }

    /// Minor units as decimal text with all decimals (`1050` NOK → `"10.50"`).
    pub fn format_minor(&self, minor: i64) -> String {
        Decimal::from_minor(minor, self.decimals).to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money: integer minor units in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// Minor units (øre for NOK, yen for JPY, fils for KWD).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Parses WooCommerce decimal text into money in `currency`.
    ///
    /// # Errors
    /// See [`Currency::parse_minor`].
    pub fn parse(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        Ok(Money {
            minor: currency.parse_minor(text)?,
            currency,
        })
    }

    /// The sum of two amounts of one currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::OutOfRange`] on overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency.to_string(),
                right: other.currency.to_string(),
            });
        }
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or_else(|| MoneyError::OutOfRange {
                text: format!("{self} + {other}"),
            })?;
        Ok(Money {
            minor,
            currency: self.currency,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.currency.format_minor(self.minor),
            self.currency
        )
    }
}

/// A VAT rate in parts per million of the base (25 % = 250 000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VatRate {
    ppm: i64,
}

impl VatRate {
    /// Zero per cent.
    pub const ZERO: VatRate = VatRate { ppm: 0 };

    /// Parses a percentage as WooCommerce or settings write it (`"25.0000"`, `12`, `"12.5"`).
    ///
    /// # Errors
    /// [`MoneyError::NotDecimal`] for non-numbers, [`MoneyError::OutOfRange`] below 0 or above 100 %.
    pub fn parse_percent(text: &str) -> Result<VatRate, MoneyError> {
        let ppm = Decimal::parse(text)?.round_to(4)?;
        if !(0..=1_000_000).contains(&ppm) {
            return Err(MoneyError::OutOfRange {
                text: text.to_owned(),
            });
        }
        Ok(VatRate { ppm })
    }

    /// A rate from whole per cent (for tables and tests).
    pub fn from_percent(percent: u32) -> VatRate {
        VatRate {
            ppm: i64::from(percent) * 10_000,
        }
    }

    /// Parts per million.
    pub fn ppm(&self) -> i64 {
        self.ppm
    }

    /// Whether this is 0 %.
    pub fn is_zero(&self) -> bool {
        self.ppm == 0
    }

    /// VAT on a net amount, rounded to the minor unit by the rule: `round(net × rate)`.
    pub fn vat_on(&self, net_minor: i64) -> i64 {
        let v = round_div(i128::from(net_minor) * i128::from(self.ppm), 1_000_000);
        i64::try_from(v).unwrap_or(i64::MAX)
    }

    /// The net amount whose VAT is `vat_minor`: `round(vat / rate)`; `None` at 0 %.
    pub fn net_for_vat(&self, vat_minor: i64) -> Option<i64> {
        if self.ppm == 0 {
            return None;
        }
        i64::try_from(round_div(
            i128::from(vat_minor) * 1_000_000,
            i128::from(self.ppm),
        ))
        .ok()
    }

    /// The net amount whose VAT is the exact (unrounded) `vat`, rounded to `decimals`: `round(vat / rate)`;
    /// `None` at 0 %.
    pub fn net_for_exact_vat(&self, vat: Decimal, decimals: u32) -> Option<i64> {
        if self.ppm == 0 {
            return None;
        }
        let num = vat
            .mantissa
            .checked_mul(pow10(decimals))?
            .checked_mul(1_000_000)?;
        let den = pow10(vat.scale).checked_mul(i128::from(self.ppm))?;
        i64::try_from(round_div(num, den)).ok()
    }

    /// The part of a gross amount that is net: `round(gross / (1 + rate))`.
    pub fn net_in_gross(&self, gross_minor: i64) -> i64 {
        let v = round_div(
            i128::from(gross_minor) * 1_000_000,
            1_000_000 + i128::from(self.ppm),
        );
        i64::try_from(v).unwrap_or(i64::MAX)
    }

    /// The VAT contained in a gross amount, unrounded, as WooCommerce computes it for prices incl. tax:
    /// `gross × rate / (1 + rate)`, rounded to `decimals` extra places of the minor unit.
    pub fn vat_in_gross(&self, gross_minor: i64, extra_decimals: u32) -> i64 {
        let n = i128::from(gross_minor) * i128::from(self.ppm) * pow10(extra_decimals);
        let v = round_div(n, 1_000_000 + i128::from(self.ppm));
        i64::try_from(v).unwrap_or(i64::MAX)
    }

    /// The rate as percent text (`25`, `12.5`).
    pub fn percent_text(&self) -> String {
        let d = Decimal::new(i128::from(self.ppm), 4).to_string();
        let trimmed = d.trim_end_matches('0').trim_end_matches('.');
        trimmed.to_owned()
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} %", self.percent_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nok() -> Currency {
        Currency::parse("NOK", &[]).expect("NOK is built in")
    }

    #[test]
    fn woo_strings_parse_exactly_into_minor_units() {
        let cases = [
            ("10.00", 1000),
            ("16.943478", 1694),
            ("575.936", 57594),
            ("", 0),
            ("-1.899266", -190),
            ("0.005", 1),
            ("-0.005", -1),
            ("0.0049999", 0),
            ("18", 1800),
            ("1e-7", 0),
            ("1.5e2", 15000),
            ("129.46428566666665", 12946),
            ("-100", -10000),
        ];
        for (text, minor) in cases {
            assert_eq!(nok().parse_minor(text), Ok(minor), "{text}");
        }
    }

    #[test]
    fn zero_and_three_decimal_currencies_round_half_away_from_zero() {
        let jpy = Currency::parse("jpy", &[]).expect("JPY is built in");
        let kwd = Currency::parse("KWD", &[]).expect("KWD is built in");
        assert_eq!(jpy.parse_minor("1234.5"), Ok(1235));
        assert_eq!(jpy.parse_minor("-1234.5"), Ok(-1235));
        assert_eq!(kwd.parse_minor("1.2345"), Ok(1235));
        assert_eq!(kwd.format_minor(1235), "1.235");
        assert_eq!(jpy.format_minor(-7), "-7");
        assert_eq!(nok().format_minor(-5), "-0.05");
    }

    #[test]
    fn garbage_and_unknown_currencies_are_errors() {
        for text in ["abc", "1.2.3", "-", ".", "1,00", "12a"] {
            assert!(Decimal::parse(text).is_err(), "{text}");
        }
        assert!(
            nok().parse_minor("10000000000000.01").is_err(),
            "past MAX_MINOR"
        );
        assert!(nok().parse_minor("99999999999999999999999").is_err());
        assert!(Currency::parse("XYZ", &[]).is_err());
        assert!(Currency::parse("NOKK", &[]).is_err());
        let xyz = Currency::parse("XYZ", &[("XYZ".to_owned(), 3)]).expect("configured");
        assert_eq!(xyz.decimals(), 3);
        assert!(Currency::parse("XYZ", &[("XYZ".to_owned(), 4)]).is_err());
    }

    #[test]
    fn vat_helpers_use_the_one_rule() {
        let r25 = VatRate::parse_percent("25.0000").expect("rate");
        assert_eq!(r25.vat_on(1999), 500); // 499.75 → 500
        assert_eq!(r25.vat_on(-1999), -500);
        assert_eq!(VatRate::from_percent(12).vat_on(77679), 9321);
        assert_eq!(r25.net_for_vat(-2032), Some(-8128));
        assert_eq!(VatRate::ZERO.net_for_vat(5), None);
        let fee_tax = Decimal::parse("-20.323892").expect("tax");
        assert_eq!(r25.net_for_exact_vat(fee_tax, 2), Some(-8130));
        assert_eq!(r25.net_in_gross(12500), 10000);
        // 870.00 incl. 12 % holds 93.214286 VAT (the real order 70's line 239).
        assert_eq!(VatRate::from_percent(12).vat_in_gross(87000, 4), 93_214_286);
        assert_eq!(
            VatRate::parse_percent("12.5").expect("rate").percent_text(),
            "12.5"
        );
        assert!(VatRate::parse_percent("101").is_err());
    }

    #[test]
    fn proportional_split_always_sums_to_the_total() {
        assert_eq!(split_proportionally(1000, &[1, 1, 1]), vec![333, 333, 334]);
        assert_eq!(
            split_proportionally(-17950, &[87000, 16170, 0]),
            vec![-15137, -2813, 0]
        );
        assert_eq!(split_proportionally(5, &[0, 0]), vec![5, 0]);
        assert_eq!(split_proportionally(100, &[-50, 150]), vec![-50, 150]);
    }

    #[test]
    fn decimal_display_and_mul_are_exact() {
        let q = Decimal::parse("3").expect("q");
        let p = Decimal::parse("6.87").expect("p");
        assert_eq!(q.times(p).to_string(), "20.61");
        assert_eq!(Decimal::parse("-0.05").expect("d").to_string(), "-0.05");
        assert_eq!(q.times(p).round_to(2), Ok(2061));
    }

    proptest::proptest! {
        #[test]
        fn formatted_minor_units_parse_back_exactly(minor in -MAX_MINOR..=MAX_MINOR, decimals in 0u32..=3) {
            let c = Currency { code: *b"XXX", decimals };
            proptest::prop_assert_eq!(c.parse_minor(&c.format_minor(minor)), Ok(minor));
        }

        #[test]
        fn proportional_shares_sum_to_the_total(total in -1_000_000i64..1_000_000, weights in proptest::collection::vec(0i64..100_000, 1..8)) {
            proptest::prop_assert_eq!(split_proportionally(total, &weights).iter().sum::<i64>(), total);
        }
    }
}
