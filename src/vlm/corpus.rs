//! How model-style programs fare: does each compile as it is, after the
//! certain automatic fixes, or only after a round trip to the model (and
//! with which codes left)? `rwd corpus DIR` prints [`Report::render`].

use super::autofix::apply_certain;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    AsIs,
    AutoFixed,
    /// The error codes left after the automatic fixes.
    RoundTrip(Vec<&'static str>),
}

pub fn classify(name: &str, text: &str) -> Class {
    if !crate::compile(name, text).has_errors() {
        return Class::AsIs;
    }
    let fixed = apply_certain(name, text);
    if !fixed.compilation.has_errors() {
        return Class::AutoFixed;
    }
    let mut codes: Vec<&'static str> = fixed.compilation.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    Class::RoundTrip(codes)
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub files: Vec<(String, Class)>,
}

impl Report {
    pub fn count(&self, f: impl Fn(&Class) -> bool) -> usize {
        self.files.iter().filter(|(_, c)| f(c)).count()
    }

    pub fn as_is(&self) -> usize {
        self.count(|c| *c == Class::AsIs)
    }

    pub fn auto_fixed(&self) -> usize {
        self.count(|c| *c == Class::AutoFixed)
    }

    pub fn round_trip(&self) -> usize {
        self.count(|c| matches!(c, Class::RoundTrip(_)))
    }

    /// How many round-trip files still have each code.
    pub fn remaining_codes(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for (_, c) in &self.files {
            if let Class::RoundTrip(codes) = c {
                for code in codes {
                    *m.entry(*code).or_insert(0) += 1;
                }
            }
        }
        m
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let n = self.files.len().max(1);
        let pct = |k: usize| 100.0 * k as f64 / n as f64;
        out.push_str(&format!("{:<44} {}\n", "file", "outcome"));
        for (name, c) in &self.files {
            let what = match c {
                Class::AsIs => "compiles as is".to_string(),
                Class::AutoFixed => "fixed automatically".to_string(),
                Class::RoundTrip(codes) => format!("needs a round trip: {}", codes.join(", ")),
            };
            out.push_str(&format!("{name:<44} {what}\n"));
        }
        out.push_str(&format!(
            "\n{} programs: {} compile as is ({:.0}%), {} fixed by certain automatic fixes ({:.0}%), {} need a round trip ({:.0}%)\n",
            self.files.len(),
            self.as_is(),
            pct(self.as_is()),
            self.auto_fixed(),
            pct(self.auto_fixed()),
            self.round_trip(),
            pct(self.round_trip())
        ));
        let codes = self.remaining_codes();
        if !codes.is_empty() {
            let list: Vec<String> = codes.iter().map(|(c, k)| format!("{c} x{k}")).collect();
            out.push_str(&format!("codes left for the model: {}\n", list.join(", ")));
        }
        out
    }
}
