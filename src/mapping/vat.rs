//! Which Visma VAT category a WooCommerce tax (or its absence) becomes. Pure, no I/O.
//!
//! woo `taxes[].id` (rate id) → settings `vat.rates` (by id, else by `tax_lines[].rate_percent` + destination
//! country) → Visma `vatCodeId`; the category's rate must equal WooCommerce's rate, or it is the wrong code.
//! Lines without tax: not taxable (fee `tax_class "0"`), reverse charge (EU buyer with VAT number), export
//! (other country), or `vat.untaxed_domestic`.

use super::MappingError;
use crate::money::VatRate;
use crate::settings::Settings;
use crate::woo::order::TaxLine;

/// What VAT decisions need to know about the document.
#[derive(Debug, Clone)]
pub struct VatContext<'a> {
    /// Settings.
    pub settings: &'a Settings,
    /// `order 70` / `refund 367 of order 70`.
    pub doc: String,
    /// Shipping (else billing) country, upper case.
    pub destination: String,
    /// Whether the buyer gave a VAT/org number.
    pub buyer_has_vat_number: bool,
    /// The tax lines known for the document (refund's, then order's), for rate percentages.
    pub tax_lines: Vec<&'a TaxLine>,
}

/// A Visma VAT category and its rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// `vatCategoryId`.
    pub id: String,
    /// Its rate in settings.
    pub rate: VatRate,
}

impl VatContext<'_> {
    fn category(&self, id: &str) -> Category {
        // Settings::validate guarantees every referenced category has a rate.
        Category {
            id: id.to_owned(),
            rate: self.settings.category_rate(id).unwrap_or(VatRate::ZERO),
        }
    }

    /// The category for WooCommerce tax rate `rate_id` on `line`.
    ///
    /// # Errors
    /// [`MappingError::MissingVatMapping`] or [`MappingError::VatRateMismatch`].
    pub fn for_rate(&self, line: &str, rate_id: i64) -> Result<Category, MappingError> {
        let woo_rate = self
            .tax_lines
            .iter()
            .find(|t| t.rate_id == rate_id)
            .and_then(|t| VatRate::parse_percent(t.rate_percent.as_str()).ok());
        let rules = &self.settings.vat.rates;
        let rule = rules
            .iter()
            .find(|r| r.woo_rate_id == Some(rate_id))
            .or_else(|| {
                let woo_rate = woo_rate?;
                rules.iter().find(|r| {
                    r.country
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(&self.destination))
                        && r.rate_percent
                            .as_deref()
                            .and_then(|p| VatRate::parse_percent(p).ok())
                            == Some(woo_rate)
                })
            });
        let Some(rule) = rule else {
            return Err(MappingError::MissingVatMapping {
                doc: self.doc.clone(),
                line: line.to_owned(),
                rate_id,
                rate_percent: woo_rate.map_or_else(|| "?".to_owned(), |r| r.percent_text()),
                country: self.destination.clone(),
            });
        };
        let category = self.category(&rule.category);
        if let Some(woo) = woo_rate {
            if woo != category.rate {
                return Err(MappingError::VatRateMismatch {
                    doc: self.doc.clone(),
                    line: line.to_owned(),
                    rate_id,
                    woo_rate: woo,
                    category: category.id,
                    visma_rate: category.rate,
                });
            }
        }
        Ok(category)
    }

    /// The category of a line WooCommerce did not tax.
    ///
    /// # Errors
    /// [`MappingError::MissingSetting`] when the merchant has not chosen the category this line needs.
    pub fn untaxed(&self, not_taxable: bool) -> Result<Category, MappingError> {
        let vat = &self.settings.vat;
        let abroad = !self.destination.is_empty()
            && !self
                .destination
                .eq_ignore_ascii_case(&self.settings.base_country);
        let in_eu = vat
            .eu_countries
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&self.destination));
        let (key, id) = if not_taxable {
            ("vat.not_taxable", &vat.not_taxable)
        } else if abroad && in_eu && self.buyer_has_vat_number {
            ("vat.reverse_charge", &vat.reverse_charge)
        } else if abroad {
            ("vat.export", &vat.export)
        } else {
            ("vat.untaxed_domestic", &vat.untaxed_domestic)
        };
        self.chosen(key, id)
    }

    /// Issue #14: a category the merchant has not chosen is never guessed; the job fails naming the setting.
    fn chosen(&self, key: &'static str, id: &str) -> Result<Category, MappingError> {
        if id.trim().is_empty() {
            return Err(MappingError::MissingSetting {
                doc: self.doc.clone(),
                key,
            });
        }
        Ok(self.category(id))
    }

    /// WooCommerce's tax per Visma category from `tax_lines` (tax + shipping tax, times `sign`).
    ///
    /// # Errors
    /// As [`VatContext::for_rate`], and [`MappingError::Amount`] for a bad tax total.
    pub fn woo_tax_by_category(
        &self,
        tax_lines: &[TaxLine],
        currency: crate::money::Currency,
        sign: i64,
    ) -> Result<std::collections::BTreeMap<String, i64>, MappingError> {
        let mut out = std::collections::BTreeMap::new();
        for t in tax_lines {
            let label = format!("tax_lines rate {}", t.rate_id);
            let category = self.for_rate(&label, t.rate_id)?;
            let mut sum = 0;
            for (field, text) in [
                ("tax_lines[].tax_total", &t.tax_total),
                ("tax_lines[].shipping_tax_total", &t.shipping_tax_total),
            ] {
                sum +=
                    currency
                        .parse_minor(text.as_str())
                        .map_err(|source| MappingError::Amount {
                            doc: self.doc.clone(),
                            line: label.clone(),
                            field,
                            source,
                        })?;
            }
            *out.entry(category.id).or_insert(0) += sign * sum;
        }
        Ok(out)
    }

    /// The rounding line's category (0 %, checked by settings validation).
    ///
    /// # Errors
    /// [`MappingError::MissingSetting`] when `vat.rounding` is not chosen.
    pub fn rounding(&self) -> Result<Category, MappingError> {
        self.chosen("vat.rounding", &self.settings.vat.rounding)
    }

    /// Whether the destination is another country than the shop's.
    pub fn is_abroad(&self) -> bool {
        !self.destination.is_empty()
            && !self
                .destination
                .eq_ignore_ascii_case(&self.settings.base_country)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(settings: &'a Settings, destination: &str, vat_number: bool) -> VatContext<'a> {
        VatContext {
            settings,
            doc: "order 1".to_owned(),
            destination: destination.to_owned(),
            buyer_has_vat_number: vat_number,
            tax_lines: Vec::new(),
        }
    }

    #[test]
    fn untaxed_lines_get_the_category_their_destination_and_buyer_call_for() {
        let text = crate::settings::EXAMPLE_TOML.replacen(
            "reverse_charge = \"52\"",
            "reverse_charge = \"5\"",
            1,
        );
        let s = Settings::from_toml_str(&text).expect("settings");
        // (destination, buyer VAT number, not taxable) → category
        let cases = [
            ("NO", false, false, "6"),
            ("NO", true, true, "6"),
            ("SE", false, false, "52"),
            ("SE", true, false, "5"),
            ("US", true, false, "52"),
            ("DE", true, true, "6"),
        ];
        for (dest, vat, not_taxable, want) in cases {
            assert_eq!(
                ctx(&s, dest, vat).untaxed(not_taxable).expect("chosen").id,
                want,
                "{dest} {vat} {not_taxable}"
            );
        }
        assert!(ctx(&s, "SE", false).is_abroad());
        assert!(!ctx(&s, "NO", false).is_abroad());
    }

    #[test]
    fn unknown_rate_id_without_tax_line_is_a_missing_mapping() {
        let s = Settings::example().expect("settings");
        match ctx(&s, "NO", false).for_rate("line_items[0]", 99) {
            Err(MappingError::MissingVatMapping {
                rate_id: 99,
                rate_percent,
                ..
            }) => assert_eq!(rate_percent, "?"),
            other => panic!("expected MissingVatMapping, got {other:?}"),
        }
        assert_eq!(
            ctx(&s, "NO", false).for_rate("l", 2).map(|c| c.id).ok(),
            Some("31".to_owned())
        );
    }
}
