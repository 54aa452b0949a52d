//! The repair loop as a state machine with no IO: feed it each model reply,
//! it says what to do next (accept a program, ask again with this message,
//! or give up). The CLI's `rwd generate` drives it over HTTP.

use super::autofix::{Applied, apply_certain};
use super::extract::{NoProgram, extract};
use super::prompt::{Message, Role};
use crate::check::hir::ProgramKind;
use crate::diag::render::render_json;

/// The name compiled candidates get in diagnostics.
pub const CANDIDATE_NAME: &str = "candidate.rwd";

/// What happened to one reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No program in the reply.
    NoProgram(NoProgram),
    /// Errors remain after the certain fixes; their codes.
    Errors { codes: Vec<&'static str>, fixed: usize },
    /// It compiles, but has no reward.
    NoReward,
    /// It compiles (after `fixed` automatic fixes).
    Accepted { fixed: usize },
}

/// One round, for progress output.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    pub number: u32,
    pub outcome: Outcome,
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "round {}: ", self.number)?;
        match &self.outcome {
            Outcome::NoProgram(why) => write!(f, "no program ({why})"),
            Outcome::Errors { codes, fixed } => write!(f, "{} error(s) ({}) after {fixed} automatic fix(es)", codes.len(), codes.join(", ")),
            Outcome::NoReward => write!(f, "compiles, but has no reward"),
            Outcome::Accepted { fixed } => write!(f, "compiles ({fixed} automatic fix(es))"),
        }
    }
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Done: this program compiles and has a reward.
    Accept { program: String, fixes: Vec<Applied> },
    /// Send [`RepairLoop::messages`] again (a repair message was appended).
    Ask,
    /// Out of rounds; the reason says what was still wrong.
    GiveUp { reason: String },
}

/// The conversation and the round count.
pub struct RepairLoop {
    messages: Vec<Message>,
    max_repairs: u32,
    rounds: Vec<Round>,
    /// The scene declaration the model was given: added to a program that
    /// leaves it out (models often answer with the failure and reward only).
    scene: Option<String>,
}

impl RepairLoop {
    /// `max_repairs`: how many repair requests may follow the first one.
    pub fn new(initial: Vec<Message>, max_repairs: u32) -> RepairLoop {
        RepairLoop { messages: initial, max_repairs, rounds: Vec::new(), scene: None }
    }

    /// Programs that declare no scene get this one (the declaration the
    /// prompt showed), before they are compiled.
    pub fn with_scene(mut self, declaration: &str) -> RepairLoop {
        self.scene = Some(declaration.to_string());
        self
    }

    /// The messages to send now.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub fn rounds(&self) -> &[Round] {
        &self.rounds
    }

    /// Takes the model's reply to [`RepairLoop::messages`].
    pub fn on_reply(&mut self, reply: &str) -> Next {
        let number = self.rounds.len() as u32 + 1;
        let (outcome, repair) = judge(reply, self.scene.as_deref());
        let accepted = match &outcome {
            Outcome::Accepted { .. } => repair.accepted.clone(),
            _ => None,
        };
        self.rounds.push(Round { number, outcome: outcome.clone() });
        if let Some((program, fixes)) = accepted {
            return Next::Accept { program, fixes };
        }
        if number > self.max_repairs {
            return Next::GiveUp { reason: format!("no compiling program after {number} round(s); last: {}", self.rounds[self.rounds.len() - 1]) };
        }
        self.messages.push(Message::text(Role::Assistant, reply));
        self.messages.push(Message::text(Role::User, repair.message));
        Next::Ask
    }
}

/// The verdict on one reply, and the message that asks for a repair.
struct Verdict {
    accepted: Option<(String, Vec<Applied>)>,
    message: String,
}

/// `code` with `scene` put after its `use` lines, when it declares no scene.
fn with_scene(code: &str, scene: Option<&str>) -> String {
    let Some(scene) = scene else { return code.to_string() };
    let (file, _) = crate::syntax::parser::parse(crate::source::FileId(0), code);
    if file.items.iter().any(|i| matches!(i, crate::syntax::ast::Item::Scene(_))) {
        return code.to_string();
    }
    // After the leading `use` lines and comments, so the program reads in order.
    let mut at = 0;
    for line in code.split_inclusive('\n') {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with("//") || t.starts_with("use ") {
            at += line.len();
        } else {
            break;
        }
    }
    let (head, tail) = code.split_at(at);
    let sep = if head.is_empty() || head.ends_with('\n') { "" } else { "\n" };
    format!("{head}{sep}{}\n\n{tail}", scene.trim_end())
}

fn judge(reply: &str, scene: Option<&str>) -> (Outcome, Verdict) {
    let parses = |code: &str| !crate::compile(CANDIDATE_NAME, code).diagnostics.iter().any(|d| d.code == crate::diag::Code::Syntax);
    let code = match extract(reply, parses) {
        Ok(c) => c,
        Err(why) => {
            let message = format!(
                "I could not find an rwd program in your reply: {why}. Reply with the complete program in one ```rwd code block."
            );
            return (Outcome::NoProgram(why), Verdict { accepted: None, message });
        }
    };
    let code = with_scene(code, scene);
    let fixed = apply_certain(CANDIDATE_NAME, &code);
    let c = &fixed.compilation;
    let n = fixed.applied.len();
    if !c.has_errors() {
        if !c.programs.iter().any(|p| p.kind == ProgramKind::Reward) {
            let message = format!(
                "The program compiles but declares no `reward`. Add a stage-gated `reward NAME for FAILURE {{ ... }}` and reply with the complete program in one ```rwd block.\n\nThe program:\n```rwd\n{}\n```",
                fixed.text.trim_end()
            );
            return (Outcome::NoReward, Verdict { accepted: None, message });
        }
        return (Outcome::Accepted { fixed: n }, Verdict { accepted: Some((fixed.text.clone(), fixed.applied.clone())), message: String::new() });
    }
    let errors: Vec<_> = c.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    let mut codes: Vec<&'static str> = errors.iter().map(|d| d.code.as_str()).collect();
    codes.dedup();
    (Outcome::Errors { codes, fixed: n }, Verdict { accepted: None, message: repair_message(&fixed.text, &fixed.applied, &render_json(&errors, &c.sources)) })
}

/// The message that sends the diagnostics back: what was fixed already,
/// the program as it now is (the spans refer to it), and the errors as JSON
/// with excerpts and suggested replacements.
pub fn repair_message(program: &str, applied: &[Applied], diagnostics_json: &str) -> String {
    let mut out = String::from("Your program does not compile.\n\n");
    if !applied.is_empty() {
        out.push_str("I already applied these certain fixes:\n");
        for a in applied {
            out.push_str(&format!("- {}: `{}` -> `{}`\n", a.code.as_str(), a.original, a.replacement));
        }
        out.push('\n');
    }
    out.push_str(&format!("The program now (line numbers in the diagnostics refer to it):\n```rwd\n{}\n```\n\n", program.trim_end()));
    out.push_str(&format!(
        "The compiler's diagnostics as JSON (`suggestion.replacement` replaces the text at `suggestion.span`; \
         `certain: false` is a guess):\n```json\n{diagnostics_json}\n```\n\n\
         Fix every error and reply with the complete corrected program in one ```rwd code block."
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "```rwd\nuse stages\nscene s { g: Gripper  c: Object  b: Object }\nreward r on s {\n    include pick_up(g, c)\n    include place_in(g, c, b)\n}\n```";

    fn start(max: u32) -> RepairLoop {
        RepairLoop::new(vec![Message::text(Role::User, "write it")], max)
    }

    #[test]
    fn a_good_reply_is_accepted_at_once() {
        let mut l = start(2);
        assert!(matches!(l.on_reply(GOOD), Next::Accept { .. }));
        assert_eq!(l.messages().len(), 1);
        assert_eq!(l.rounds()[0].outcome, Outcome::Accepted { fixed: 0 });
    }

    #[test]
    fn errors_ask_again_with_the_diagnostics_then_give_up() {
        let mut l = start(1);
        let bad = GOOD.replace("pick_up(g, c)", "pick_up(g, cc)");
        assert_eq!(l.on_reply(&bad), Next::Ask);
        let repair = l.messages().last().map(Message::plain_text).unwrap_or_default();
        assert!(repair.contains("\"code\": \"E0010\"") && repair.contains("\"replacement\": \"c\""), "{repair}");
        assert_eq!(l.messages()[1].role, Role::Assistant);
        match l.on_reply("no idea") {
            Next::GiveUp { reason } => assert!(reason.contains("after 2 round(s)") && reason.contains("no program"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn certain_fixes_are_applied_and_reported() {
        let mut l = start(0);
        let python = GOOD.replace("include place_in(g, c, b)", "include place_in(g, c, b)\n    success when True and done(release)");
        match l.on_reply(&python) {
            Next::Accept { program, fixes } => {
                assert!(program.contains("success when true && done(release)"));
                assert_eq!(fixes.len(), 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_program_without_its_scene_gets_the_given_one() {
        let mut l = start(0).with_scene("scene s { g: Gripper  c: Object  b: Object }");
        let no_scene = GOOD.replace("scene s { g: Gripper  c: Object  b: Object }\n", "");
        match l.on_reply(&no_scene) {
            Next::Accept { program, .. } => {
                assert!(program.starts_with("use stages\nscene s { g: Gripper  c: Object  b: Object }\n\nreward r on s"), "{program}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_program_without_a_reward_is_sent_back() {
        let mut l = start(1);
        assert_eq!(l.on_reply("```rwd\nscene s { g: Gripper }\nfailure f = g.grasp\n```"), Next::Ask);
        assert_eq!(l.rounds()[0].outcome, Outcome::NoReward);
    }
}
