//! Exact decimals and document totals the way Visma computes them: each line rounded to the currency's decimals
//! (quantity × unit price, then the discount), VAT per category on the sum of that category's line amounts,
//! document amount = lines + VAT. Midpoints round away from zero (Acumatica's `MidpointRounding.AwayFromZero`,
//! inferred: NOTES has no rounding rule). Pure: no I/O, no f64 arithmetic.

use serde_json::{Number, Value};

/// Fixed-point scale of [`Dec`]: six decimals (Visma quantities and rates have at most six).
const SCALE: i128 = 1_000_000;

/// An exact decimal with six fractional digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dec(i128);

impl Dec {
    /// The value zero.
    pub const ZERO: Dec = Dec(0);

    /// A whole number.
    pub fn from_int(n: i64) -> Dec {
        Dec(i128::from(n) * SCALE)
    }

    /// Parses a decimal literal (`"12"`, `"-0.125"`, `"1e-3"`, `"1.5E2"`); more than six decimals round half away
    /// from zero. `None` for anything else or out of range.
    pub fn parse(s: &str) -> Option<Dec> {
        let (mantissa, exp) = match s.find(['e', 'E']) {
            Some(i) => (s.get(..i)?, s.get(i + 1..)?.parse::<i32>().ok()?),
            None => (s, 0),
        };
        let (neg, digits) = match mantissa.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
        };
        let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        if !int_part
            .chars()
            .chain(frac_part.chars())
            .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        // value = all_digits × 10^(exp − frac_len); bring it to scale 6.
        let all: String = format!("{int_part}{frac_part}");
        let mut n: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
        let frac_len = i32::try_from(frac_part.len()).ok()?;
        let shift = exp.checked_sub(frac_len)?.checked_add(6)?;
        if shift >= 0 {
            n = n.checked_mul(10_i128.checked_pow(u32::try_from(shift).ok()?)?)?;
        } else {
            n = round_div(n, 10_i128.checked_pow(u32::try_from(-shift).ok()?)?);
        }
        Some(Dec(if neg { -n } else { n }))
    }

    /// Reads a JSON number exactly: serde_json prints an f64 as its shortest round-trip literal, which is parsed
    /// as a decimal, so `0.1` is 0.1 and not 0.1000000000000000055….
    pub fn from_json(v: &Value) -> Option<Dec> {
        match v {
            Value::Number(n) => Dec::parse(&n.to_string()),
            _ => None,
        }
    }

    /// `self × other`, rounded to `decimals` places, as an integer count of 10^-decimals.
    pub fn mul_to_minor(self, other: Dec, decimals: u32) -> i64 {
        let product = self.0.saturating_mul(other.0); // scale 12
        let divisor = 10_i128.pow(12_u32.saturating_sub(decimals));
        i64::try_from(round_div(product, divisor)).unwrap_or(if product < 0 {
            i64::MIN
        } else {
            i64::MAX
        })
    }

    /// This value rounded to `decimals` places, in minor units.
    pub fn to_minor(self, decimals: u32) -> i64 {
        self.mul_to_minor(Dec::from_int(1), decimals)
    }

    /// True when below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

/// Integer division rounding half away from zero.
fn round_div(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r.abs() * 2 >= d.abs() {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

/// Minor units as a JSON number (`12345`, 2 → `123.45`), built from the decimal string, not by division.
pub fn minor_to_json(minor: i64, decimals: u32) -> Value {
    let digits = minor.unsigned_abs().to_string();
    let width = usize::try_from(decimals).unwrap_or(0) + 1;
    let padded = format!("{digits:0>width$}");
    let (int_part, frac_part) =
        padded.split_at(padded.len() - usize::try_from(decimals).unwrap_or(0));
    let sign = if minor < 0 { "-" } else { "" };
    let literal = if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    };
    literal
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `percent` % of `minor`, rounded once to whole minor units.
fn percent_of(minor: i64, percent: Dec) -> i64 {
    let exact = i128::from(minor).saturating_mul(percent.0);
    i64::try_from(round_div(exact, 100 * SCALE)).unwrap_or(0)
}

/// One document line as the totals need it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineInput {
    /// Quantity (may be fractional or negative).
    pub quantity: Dec,
    /// Unit price in document currency.
    pub unit_price: Dec,
    /// `manualAmountInCurrency`: replaces quantity × unit price when given.
    pub manual_amount: Option<Dec>,
    /// `discountPercent`, e.g. 10 for 10 %.
    pub discount_percent: Option<Dec>,
    /// `discountAmountInCurrency`: wins over the percentage when both are given.
    pub discount_amount: Option<Dec>,
    /// The VAT category id (`vatCodeId`); `None` = no VAT on the line.
    pub vat_category: Option<String>,
}

/// A VAT category's rate and kind, as the seeded company defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct VatRate {
    /// Rate in percent (25 = 25 %).
    pub percent: Dec,
    /// Exempt / outside scope: its base counts in `vatExemptTotal`, not `vatTaxableTotal`.
    pub exempt: bool,
}

/// VAT for one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxLine {
    /// VAT category id.
    pub vat_category: String,
    /// Sum of that category's line amounts (minor units).
    pub taxable_minor: i64,
    /// round(taxable × rate).
    pub vat_minor: i64,
}

/// Totals of a document, in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Each line's amount after discount.
    pub line_minor: Vec<i64>,
    /// Each line's discount amount.
    pub line_discount_minor: Vec<i64>,
    /// Sum of line amounts.
    pub detail_total: i64,
    /// Sum of line discounts.
    pub discount_total: i64,
    /// Base of taxable categories.
    pub vat_taxable_total: i64,
    /// Base of exempt categories.
    pub vat_exempt_total: i64,
    /// Sum of VAT.
    pub vat_total: i64,
    /// Lines + VAT.
    pub amount: i64,
    /// Per category, in the order categories first appear.
    pub tax_lines: Vec<TaxLine>,
}

/// Why totals cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotalsError {
    /// A line names a VAT category the company does not have.
    #[error("line {line}: VAT category '{vat_category}' does not exist")]
    UnknownVatCategory { line: usize, vat_category: String },
}

/// Computes the totals of `lines` in a currency with `decimals` places.
///
/// # Errors
/// [`TotalsError::UnknownVatCategory`] when `rate_of` does not know a line's category.
pub fn compute(
    lines: &[LineInput],
    decimals: u32,
    rate_of: impl Fn(&str) -> Option<VatRate>,
) -> Result<Totals, TotalsError> {
    let mut t = Totals::default();
    for (i, line) in lines.iter().enumerate() {
        let gross = match line.manual_amount {
            Some(m) => m.to_minor(decimals),
            None => line.quantity.mul_to_minor(line.unit_price, decimals),
        };
        let discount = match (line.discount_amount, line.discount_percent) {
            (Some(a), _) => a.to_minor(decimals),
            (None, Some(p)) => percent_of(gross, p),
            (None, None) => 0,
        };
        let amount = gross.saturating_sub(discount);
        t.line_minor.push(amount);
        t.line_discount_minor.push(discount);
        t.detail_total = t.detail_total.saturating_add(amount);
        t.discount_total = t.discount_total.saturating_add(discount);
        if let Some(cat) = &line.vat_category {
            if rate_of(cat).is_none() {
                return Err(TotalsError::UnknownVatCategory {
                    line: i + 1,
                    vat_category: cat.clone(),
                });
            }
            match t.tax_lines.iter_mut().find(|l| &l.vat_category == cat) {
                Some(l) => l.taxable_minor = l.taxable_minor.saturating_add(amount),
                None => t.tax_lines.push(TaxLine {
                    vat_category: cat.clone(),
                    taxable_minor: amount,
                    vat_minor: 0,
                }),
            }
        }
    }
    for tax in &mut t.tax_lines {
        let rate = rate_of(&tax.vat_category).unwrap_or(VatRate {
            percent: Dec::ZERO,
            exempt: true,
        });
        tax.vat_minor = percent_of(tax.taxable_minor, rate.percent);
        if rate.exempt {
            t.vat_exempt_total = t.vat_exempt_total.saturating_add(tax.taxable_minor);
        } else {
            t.vat_taxable_total = t.vat_taxable_total.saturating_add(tax.taxable_minor);
        }
        t.vat_total = t.vat_total.saturating_add(tax.vat_minor);
    }
    t.amount = t.detail_total.saturating_add(t.vat_total);
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        Dec::parse(s).expect("literal")
    }

    #[test]
    fn parses_decimal_literals_exactly() {
        assert_eq!(d("12.5"), Dec(12_500_000));
        assert_eq!(d("-0.125"), Dec(-125_000));
        assert_eq!(d("1e-3"), Dec(1_000));
        assert_eq!(d("1.5E2"), Dec(150_000_000));
        assert_eq!(d("0.0000005"), Dec(1));
        assert_eq!(Dec::from_json(&serde_json::json!(0.1)), Some(Dec(100_000)));
        for bad in ["", "-", "1.2.3", "abc", "1e", "--1"] {
            assert_eq!(Dec::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(d("2.345").to_minor(2), 235);
        assert_eq!(d("-2.345").to_minor(2), -235);
        assert_eq!(d("2.344").to_minor(2), 234);
        assert_eq!(d("3").mul_to_minor(d("33.335"), 2), 10001);
    }

    proptest::proptest! {
        #[test]
        fn minor_units_survive_json_and_back(minor in -10_000_000_000_i64..10_000_000_000_i64) {
            let v = minor_to_json(minor, 2);
            proptest::prop_assert_eq!(Dec::from_json(&v).map(|d| d.to_minor(2)), Some(minor));
        }

        #[test]
        fn rounding_is_symmetric_around_zero(q in 0_i64..1_000_000, p in 0_i64..10_000_000) {
            let (q, p) = (Dec(i128::from(q) * 1000), Dec(i128::from(p)));
            proptest::prop_assert_eq!(q.mul_to_minor(Dec(-p.0), 2), -q.mul_to_minor(p, 2));
        }
    }

    #[test]
    fn minor_units_print_as_json_numbers() {
        assert_eq!(minor_to_json(12345, 2), serde_json::json!(123.45));
        assert_eq!(minor_to_json(-5, 2), serde_json::json!(-0.05));
        assert_eq!(minor_to_json(0, 2), serde_json::json!(0.0));
        assert_eq!(minor_to_json(7, 0), serde_json::json!(7.0));
    }

    fn rates(cat: &str) -> Option<VatRate> {
        let (p, exempt) = match cat {
            "3" => ("25", false),
            "31" => ("15", false),
            "33" => ("12", false),
            "5" => ("0", false),
            "6" | "52" => ("0", true),
            _ => return None,
        };
        Some(VatRate {
            percent: d(p),
            exempt,
        })
    }

    fn line(q: &str, p: &str, cat: &str) -> LineInput {
        LineInput {
            quantity: d(q),
            unit_price: d(p),
            manual_amount: None,
            discount_percent: None,
            discount_amount: None,
            vat_category: Some(cat.to_string()),
        }
    }

    #[test]
    fn mixed_vat_invoice_totals_to_the_cent() {
        let mut discounted = line("3", "33.33", "3");
        discounted.discount_percent = Some(d("10"));
        let lines = vec![
            line("2", "79.20", "3"),  // 158.40
            discounted,               // 99.99 − 10.00 (9.999) = 89.99
            line("1", "49.90", "31"), // 49.90 → VAT 7.485 → 7.49
            line("3", "12.35", "33"), // 37.05 → VAT 4.446 → 4.45
            line("1", "100.00", "6"), // exempt
        ];
        let t = compute(&lines, 2, rates).expect("known categories");
        assert_eq!(t.line_minor, vec![15840, 8999, 4990, 3705, 10000]);
        assert_eq!(t.detail_total, 43534);
        assert_eq!(t.discount_total, 1000);
        // 25 %: (158.40 + 89.99) × 0.25 = 62.0975 → 62.10
        assert_eq!(
            t.tax_lines[0],
            TaxLine {
                vat_category: "3".into(),
                taxable_minor: 24839,
                vat_minor: 6210
            }
        );
        assert_eq!(t.tax_lines[1].vat_minor, 749);
        assert_eq!(t.tax_lines[2].vat_minor, 445);
        assert_eq!(t.tax_lines[3].vat_minor, 0);
        assert_eq!(t.vat_taxable_total, 33534);
        assert_eq!(t.vat_exempt_total, 10000);
        assert_eq!(t.vat_total, 7404);
        assert_eq!(t.amount, 50938);
    }

    #[test]
    fn discount_amount_and_manual_amount_replace_the_computed_ones() {
        let mut l = line("2", "50", "3");
        l.discount_amount = Some(d("5.555"));
        l.discount_percent = Some(d("50"));
        let mut m = line("7", "1", "3");
        m.manual_amount = Some(d("3.333"));
        let t = compute(&[l, m], 2, rates).expect("known");
        assert_eq!(t.line_minor, vec![9444, 333]);
    }

    #[test]
    fn unknown_vat_category_is_an_error_naming_the_line() {
        let err = compute(&[line("1", "1", "3"), line("1", "1", "99")], 2, rates)
            .expect_err("99 unknown");
        assert_eq!(
            err,
            TotalsError::UnknownVatCategory {
                line: 2,
                vat_category: "99".into()
            }
        );
    }
}
