//! Finding the program in a model's reply: fenced blocks (```rwd or plain
//! ```), several of them, prose around them, or raw code with no fences.

/// Why a reply holds no program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoProgram {
    /// The reply is empty or only whitespace.
    Empty,
    /// Fenced blocks, but every one is empty.
    EmptyFences,
    /// No fences, and the text does not look like rwd (no item keyword).
    ProseOnly,
}

impl std::fmt::Display for NoProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoProgram::Empty => "the reply is empty",
            NoProgram::EmptyFences => "the reply's code blocks are all empty",
            NoProgram::ProseOnly => "the reply has no code block and no rwd declarations (scene, reward, failure, check)",
        })
    }
}

/// A code block of a reply: its language tag (`rwd`, `""`, ...) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence<'a> {
    pub lang: &'a str,
    pub code: &'a str,
}

/// The fenced blocks of `reply`, in order. An unterminated last fence runs
/// to the end (a reply cut off by a token limit).
pub fn fences(reply: &str) -> Vec<Fence<'_>> {
    let mut out = Vec::new();
    let mut rest = reply;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let (lang_line, body_start) = match after.find('\n') {
            Some(nl) => (&after[..nl], nl + 1),
            None => (after, after.len()),
        };
        let lang = lang_line.trim();
        let body = &after[body_start..];
        let (code, next) = match body.find("```") {
            Some(close) => (&body[..close], &body[close + 3..]),
            None => (body, ""),
        };
        out.push(Fence { lang, code });
        rest = next;
    }
    out
}

/// Item keywords that start a line of rwd code.
const ITEM_STARTS: &[&str] = &["scene ", "reward ", "failure ", "check ", "fn ", "stages ", "use "];

fn looks_like_rwd(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        ITEM_STARTS.iter().any(|k| l.starts_with(k))
    })
}

/// The program in `reply`. Among fenced blocks, `rwd`-tagged ones are
/// preferred; among those, the first that `parses` accepts, else the largest.
/// Without fences, the text from the first line that starts an rwd item to
/// the last line that closes one (prose before and after dropped).
pub fn extract(reply: &str, parses: impl Fn(&str) -> bool) -> Result<&str, NoProgram> {
    if reply.trim().is_empty() {
        return Err(NoProgram::Empty);
    }
    let all = fences(reply);
    if !all.is_empty() {
        let non_empty: Vec<&Fence> = all.iter().filter(|f| !f.code.trim().is_empty()).collect();
        if non_empty.is_empty() {
            return Err(NoProgram::EmptyFences);
        }
        let tagged: Vec<&Fence> = non_empty.iter().copied().filter(|f| f.lang.eq_ignore_ascii_case("rwd")).collect();
        let pool = if tagged.is_empty() { non_empty } else { tagged };
        if let Some(f) = pool.iter().find(|f| parses(f.code)) {
            return Ok(f.code);
        }
        let largest = pool.iter().max_by_key(|f| f.code.trim().len()).map(|f| f.code);
        return largest.ok_or(NoProgram::EmptyFences);
    }
    raw_code(reply).ok_or(NoProgram::ProseOnly)
}

/// Raw code with prose around it: from the first line starting an item (or
/// a comment right above it) to the last line that is a lone `}` or belongs to
/// a one-line item.
fn raw_code(reply: &str) -> Option<&str> {
    if !looks_like_rwd(reply) {
        return None;
    }
    let lines: Vec<(usize, &str)> = line_offsets(reply);
    let is_item = |l: &str| ITEM_STARTS.iter().any(|k| l.trim_start().starts_with(k));
    let first = lines.iter().position(|(_, l)| is_item(l))?;
    // Comments directly above the first item belong to the program.
    let mut start = first;
    while start > 0 && lines[start - 1].1.trim_start().starts_with("//") {
        start -= 1;
    }
    // The end: the last line that closes a block, or the last item line if
    // the program has no blocks; prose after it is dropped.
    let last_close = lines.iter().rposition(|(_, l)| l.trim_end() == "}" || l.trim_end().ends_with('}'));
    let last_item = lines.iter().rposition(|(_, l)| is_item(l));
    let end_line = match (last_close, last_item) {
        (Some(c), Some(i)) => c.max(i),
        (c, i) => c.or(i)?,
    };
    let (end_off, end_text) = lines[end_line];
    Some(&reply[lines[start].0..end_off + end_text.len()])
}

/// Each line with its byte offset (line text without the newline).
fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for l in text.split('\n') {
        out.push((at, l));
        at += l.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn a_tagged_fence_wins_over_prose_and_other_fences() {
        let reply = "Here it is:\n```python\nprint(1)\n```\nand\n```rwd\nscene s { g: Gripper }\n```\nDone.";
        assert_eq!(extract(reply, any), Ok("scene s { g: Gripper }\n"));
    }

    #[test]
    fn the_fence_that_parses_wins_else_the_largest() {
        let reply = "```\nscene broken {\n```\n```\nscene good { g: Gripper }\n```";
        assert_eq!(extract(reply, |c| c.contains("good")), Ok("scene good { g: Gripper }\n"));
        assert_eq!(extract(reply, |_| false), Ok("scene good { g: Gripper }\n"));
    }

    #[test]
    fn raw_code_without_fences_loses_the_prose() {
        let reply = "Sure! The program:\n// header\nscene s {\n    g: Gripper\n}\nfailure f = true\nHope this helps.";
        assert_eq!(extract(reply, any), Ok("// header\nscene s {\n    g: Gripper\n}\nfailure f = true"));
    }

    #[test]
    fn no_program_says_why() {
        assert_eq!(extract("  \n", any), Err(NoProgram::Empty));
        assert_eq!(extract("I cannot see the image.", any), Err(NoProgram::ProseOnly));
        assert_eq!(extract("```rwd\n\n```", any), Err(NoProgram::EmptyFences));
    }

    #[test]
    fn an_unterminated_fence_runs_to_the_end() {
        assert_eq!(extract("```rwd\nscene s { g: Gripper }", any), Ok("scene s { g: Gripper }"));
    }
}
