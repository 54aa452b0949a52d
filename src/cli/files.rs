//! File IO for the CLI: reading with clear errors, atomic writes.

use super::CliError;
use std::io::Write;
use std::path::Path;

pub fn read(path: &str) -> Result<String, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::Failed(format!("cannot read `{path}`: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CliError::Failed(format!("`{path}` is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to())))
}

/// Writes via a temporary file in the same directory and a rename, so a
/// crash never leaves a half-written file in place of a good one.
pub fn write_atomic(path: &str, contents: &str) -> Result<(), CliError> {
    write_atomic_bytes(path, contents.as_bytes())
}

pub fn write_atomic_bytes(path: &str, contents: &[u8]) -> Result<(), CliError> {
    let target = Path::new(path);
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.rwd-tmp-{}", std::process::id()));
    let fail = |e: std::io::Error| CliError::Failed(format!("cannot write `{path}`: {e}"));
    let mut f = std::fs::File::create(&tmp).map_err(fail)?;
    f.write_all(contents).and_then(|_| f.sync_all()).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })?;
    std::fs::rename(&tmp, target).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// Parses one observation line: a JSON array of numbers; the strings
/// "NaN", "inf" and "-inf" stand for the non-finite values JSON cannot write.
pub fn parse_observation(line: &str) -> Result<Vec<f64>, String> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Array(items) = value else { return Err("expected a JSON array of numbers".into()) };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            serde_json::Value::Number(n) => n.as_f64().ok_or_else(|| format!("item {i} is not an f64")),
            serde_json::Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
            serde_json::Value::String(s) => match s.as_str() {
                "NaN" | "nan" => Ok(f64::NAN),
                "inf" | "Infinity" => Ok(f64::INFINITY),
                "-inf" | "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(format!("item {i} is the string \"{other}\", not a number")),
            },
            other => Err(format!("item {i} is {other}, not a number")),
        })
        .collect()
}

/// Fails early, before long work, if `path`'s directory does not exist.
pub fn check_writable_dir(path: &str) -> Result<(), CliError> {
    let dir = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if dir.is_dir() {
        Ok(())
    } else {
        Err(CliError::Failed(format!("cannot write `{path}`: directory `{}` does not exist", dir.display())))
    }
}
