//! Text that goes to Visma (issue #15): the text a person typed, made safe and fitting. WooCommerce stores some
//! text HTML-escaped (`&#038;`, `&amp;`, `&#8211;`); those become the characters they stand for. Control
//! characters (NUL and the rest of C0 and C1) and the bidirectional controls that can make text read differently
//! than it is stored are dropped; a line break becomes a space (no field we send is multi-line). Each field is
//! cut to Visma's length for it, and the cut is reported so the audit can say so. Pure, no I/O.
//!
//! Lengths: the SalesOrders v3 OpenAPI file's `maxLength` for the same columns (the ERP v1 file gives none):
//! address lines and city 50, postal code 20, names and e-mail 255, phone 50, a line description 256, a
//! document's description 255, references 40.

/// Address line, city (`NewSalesOrderAddressDto.line1`, `city`).
pub const ADDRESS_LINE: usize = 50;
/// Postal code (`NewSalesOrderAddressDto.postalCode`).
pub const POSTAL_CODE: usize = 20;
/// A name, an attention, an e-mail (`NewSalesOrderContactDto.name`, `email`).
pub const NAME: usize = 255;
/// A phone number (`NewSalesOrderContactDto.phone1`).
pub const PHONE: usize = 50;
/// A line description (`NewSalesOrderLineDto.description`).
pub const LINE_DESCRIPTION: usize = 256;
/// A document's description / invoice text (`NewSalesOrderCommand.description`).
pub const DOCUMENT_TEXT: usize = 255;
/// A reference (`NewSalesOrderCustomerDto.refNo`, `NewSalesOrderPaymentSettings.paymentReference`).
pub const REFERENCE: usize = 40;

/// The cuts made while mapping one document, for its audit rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cuts(pub Vec<String>);

impl Cuts {
    /// `text` cleaned ([`clean`]) and cut to `max` characters; a cut is recorded under `field`.
    pub fn fit(&mut self, field: &str, text: &str, max: usize) -> String {
        let cleaned = clean(text);
        let count = cleaned.chars().count();
        if count <= max {
            return cleaned;
        }
        self.0.push(format!(
            "{field} cut to Visma's {max} characters (it had {count})"
        ));
        cleaned
            .chars()
            .take(max)
            .collect::<String>()
            .trim_end()
            .to_owned()
    }
}

/// The text a person typed: HTML entities decoded, controls and bidi controls dropped, line breaks and tabs as
/// spaces, runs of spaces kept as typed, ends trimmed.
pub fn clean(text: &str) -> String {
    let decoded = decode_entities(text);
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            // LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM, ALM.
            '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{061C}' => {}
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric `&#38;` / `&#x26;` references, once (a
/// double-escaped `&amp;#038;` becomes `&#038;`, as a browser shows it). Anything else stays as it is.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| entity(&tail[1..e]));
        match (end, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{00A0}'),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woocommerce_entities_become_the_characters_typed() {
        assert_eq!(clean("Kaffe &#038; kake"), "Kaffe & kake");
        assert_eq!(clean("Bok &#8211; innbundet"), "Bok – innbundet");
        assert_eq!(clean("A &amp;&amp; B &lt;b&gt;"), "A && B <b>");
        assert_eq!(clean("&#x1F600; &unknown; & alone"), "😀 &unknown; & alone");
        assert_eq!(clean("&amp;#038;"), "&#038;", "decoded once");
    }

    #[test]
    fn controls_and_bidi_overrides_are_dropped_and_breaks_become_spaces() {
        assert_eq!(
            clean("Ola\u{0}\u{7} Nordmann\r\nStorgata 1\t"),
            "Ola Nordmann  Storgata 1"
        );
        assert_eq!(clean("\u{202E}gnp.exe\u{202C}"), "gnp.exe");
        assert_eq!(clean("\u{85}x\u{9F}"), "x", "C1 controls");
    }

    #[test]
    fn a_cut_is_recorded_with_the_field_and_lengths() {
        let mut cuts = Cuts::default();
        assert_eq!(cuts.fit("city", "Oslo", ADDRESS_LINE), "Oslo");
        let long = "Å".repeat(60);
        assert_eq!(
            cuts.fit("billing address line 1", &long, ADDRESS_LINE)
                .chars()
                .count(),
            50
        );
        assert_eq!(
            cuts.0,
            ["billing address line 1 cut to Visma's 50 characters (it had 60)"]
        );
    }
}
