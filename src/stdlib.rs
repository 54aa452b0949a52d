//! The standard library, written in .rwd and embedded in the compiler.
//!
//! Modules are brought in with `use NAME`. The text lives in `stdlib/` at the
//! repository root; it is compiled into the binary so the compiler needs no
//! files at run time (and stays free of IO).

/// (module name, file name, source text).
pub const MODULES: &[(&str, &str, &str)] = &[
    ("shaping", "stdlib/shaping.rwd", include_str!("../stdlib/shaping.rwd")),
    ("stages", "stdlib/stages.rwd", include_str!("../stdlib/stages.rwd")),
];

/// The module that defines a function or template of this name, by a plain
/// text scan (used only to suggest a missing `use`).
pub fn module_defining(name: &str) -> Option<&'static str> {
    MODULES.iter().find_map(|(module, _, text)| {
        let defines = text.lines().any(|line| {
            let line = line.trim_start();
            ["fn ", "stages "].iter().any(|kw| {
                line.strip_prefix(kw).is_some_and(|rest| rest.starts_with(name) && rest[name.len()..].starts_with('('))
            })
        });
        defines.then_some(*module)
    })
}
