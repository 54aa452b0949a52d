//! The model-in-the-loop path end to end: the descriptor format and its
//! schema, synthesis, the prompt, and `rwd generate` against a real HTTP
//! server on loopback (started here, replaying recorded model replies), and
//! the corpus report.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// (descriptor, the example whose scene it describes).
const SAMPLES: &[(&str, &str)] = &[
    ("misplaced_broccoli", "sort_vegetables"),
    ("fallen_can", "pick_trash"),
    ("unclosed_lid", "organize_toolbox"),
    ("drawer_not_opened", "drawer_check"),
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn rwd(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rwd")).args(args).current_dir(ROOT).output().expect("run rwd");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

// ------------------------------------------------------------- the schema

/// Validates `v` against the JSON Schema subset the descriptor schema uses
/// (type, required, properties, additionalProperties: false, enum, items).
fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            other => return Err(format!("{at}: the test validator does not know type `{other}`")),
        };
        if !ok {
            return Err(format!("{at}: expected {t}"));
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {options:?}"));
    }
    if let (Some(obj), Some(props)) = (v.as_object(), schema.get("properties").and_then(Value::as_object)) {
        for req in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = req.as_str().unwrap_or("");
            if !obj.contains_key(key) {
                return Err(format!("{at}: missing `{key}`"));
            }
        }
        for (k, val) in obj {
            match props.get(k) {
                Some(s) => validate(s, val, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => return Err(format!("{at}: unknown key `{k}`")),
                None => {}
            }
        }
    }
    if let (Some(items), Some(schema)) = (v.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(schema, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

fn schema() -> Value {
    serde_json::from_str(&read("docs/descriptor.schema.json")).expect("the schema is JSON")
}

#[test]
fn schema_and_serde_type_agree_on_the_samples_and_their_mutations() {
    let schema = schema();
    for (name, _) in SAMPLES {
        let text = read(&format!("docs/descriptors/{name}.json"));
        let v: Value = serde_json::from_str(&text).expect("sample is JSON");
        validate(&schema, &v, name).unwrap_or_else(|e| panic!("schema rejects {name}: {e}"));
        let d = rwd::vlm::descriptor::Descriptor::from_json(&text).unwrap_or_else(|e| panic!("serde rejects {name}: {e}"));
        // Round trip: what serde writes, the schema accepts and serde reads back.
        let again: Value = serde_json::from_str(&d.to_json_pretty()).expect("json");
        validate(&schema, &again, name).unwrap_or_else(|e| panic!("{name} re-serialized: {e}"));
        assert_eq!(rwd::vlm::descriptor::Descriptor::from_json(&d.to_json_pretty()).ok(), Some(d));

        // Each mutation: both reject, or both accept.
        type Mutation = Box<dyn Fn(&mut Value)>;
        let mutations: Vec<(&str, Mutation)> = vec![
            ("unknown key", Box::new(|v: &mut Value| v["colour"] = "red".into())),
            ("bad failure", Box::new(|v: &mut Value| v["failure"] = "exploded".into())),
            ("no relation", Box::new(|v: &mut Value| drop(v.as_object_mut().map(|o| o.remove("relation"))))),
            ("bad predicate", Box::new(|v: &mut Value| v["relation"]["predicate"] = "under".into())),
            ("bad role", Box::new(|v: &mut Value| v["entities"][0]["role"] = "boss".into())),
            ("no notes", Box::new(|v: &mut Value| drop(v.as_object_mut().map(|o| o.remove("notes"))))),
            ("entity key", Box::new(|v: &mut Value| v["entities"][0]["colour"] = "red".into())),
            ("bad kind", Box::new(|v: &mut Value| v["entities"][0]["kind"] = "Robot".into())),
            ("no kind", Box::new(|v: &mut Value| drop(v["entities"][0].as_object_mut().map(|o| o.remove("kind"))))),
            ("entities not a list", Box::new(|v: &mut Value| v["entities"] = "gripper".into())),
            ("task not text", Box::new(|v: &mut Value| v["task"] = "".into())),
            ("no object", Box::new(|v: &mut Value| drop(v["relation"].as_object_mut().map(|o| o.remove("object"))))),
        ];
        for (what, mutate) in mutations {
            let mut m = v.clone();
            mutate(&mut m);
            let by_schema = validate(&schema, &m, name).is_ok();
            let by_serde = rwd::vlm::descriptor::Descriptor::from_json(&m.to_string()).is_ok();
            assert_eq!(by_schema, by_serde, "{name}, {what}: schema says {by_schema}, serde says {by_serde}");
        }
    }
    // Every enum value the schema lists is one serde accepts.
    for (path, field) in [(&["properties", "failure"][..], "failure"), (&["properties", "relation", "properties", "predicate"][..], "predicate")] {
        let mut s = &schema;
        for p in path {
            s = &s[*p];
        }
        for option in s["enum"].as_array().expect("enum") {
            let mut v: Value = serde_json::from_str(&read("docs/descriptors/fallen_can.json")).expect("json");
            if field == "failure" {
                v["failure"] = option.clone();
            } else {
                v["relation"]["predicate"] = option.clone();
            }
            assert!(rwd::vlm::descriptor::Descriptor::from_json(&v.to_string()).is_ok(), "serde rejects {field} {option}");
        }
    }
}

// -------------------------------------------------------------- synthesis

#[test]
fn synthesized_rewards_compile_for_every_sample_with_and_without_its_scene() {
    use rwd::vlm::{descriptor::Descriptor, scene::SceneView, synth::synthesize};
    for (name, example) in SAMPLES {
        let d = Descriptor::from_json(&read(&format!("docs/descriptors/{name}.json"))).expect("descriptor");
        let scene = SceneView::from_source(example, &read(&format!("examples/{example}.rwd")), None).expect("scene");
        for scene in [Some(&scene), None] {
            let program = synthesize(&d, scene).unwrap_or_else(|e| panic!("{name}: {e}"));
            let c = rwd::compile("synth.rwd", &program);
            assert!(!c.has_errors(), "{name}:\n{program}\n{:?}", c.diagnostics);
            assert!(c.programs.iter().any(|p| p.kind == rwd::check::hir::ProgramKind::Reward));
            // Deterministic.
            assert_eq!(synthesize(&d, scene).ok(), Some(program));
        }
    }
}

#[test]
fn synthesis_names_what_is_wrong() {
    use rwd::vlm::{descriptor::Descriptor, scene::SceneView, synth::synthesize};
    let scene = SceneView::from_source("s", &read("examples/sort_vegetables.rwd"), None).expect("scene");
    let mut d = Descriptor::from_json(&read("docs/descriptors/misplaced_broccoli.json")).expect("descriptor");
    d.relation.subject = "brocoli".into();
    let e = synthesize(&d, Some(&scene)).expect_err("unknown entity").to_string();
    assert!(e.contains("`brocoli`") && e.contains("broccoli"), "{e}");
    let d = Descriptor::from_json(&read("docs/descriptors/unclosed_lid.json")).expect("descriptor");
    let e = synthesize(&d, Some(&scene)).expect_err("no lid in this scene").to_string();
    assert!(e.contains("`lid`"), "{e}");
}

#[test]
fn synth_cli_writes_a_compiling_program() {
    let out = std::env::temp_dir().join(format!("rwd-synth-{}.rwd", std::process::id()));
    let out_s = out.to_string_lossy().to_string();
    let (code, _, err) = rwd(&["synth", "--descriptor", "docs/descriptors/fallen_can.json", "--scene", "examples/pick_trash.rwd", "--out", &out_s]);
    assert_eq!(code, 0, "{err}");
    let (code, stdout, err) = rwd(&["check", &out_s]);
    assert_eq!(code, 0, "{stdout}{err}");
    let _ = std::fs::remove_file(out);
}

// ------------------------------------------------------------------ prompt

#[test]
fn prompt_json_is_a_chat_completions_body_with_the_image() {
    let png = std::env::temp_dir().join(format!("rwd-prompt-{}.png", std::process::id()));
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nfake").expect("write png");
    let png_s = png.to_string_lossy().to_string();
    let (code, stdout, err) = rwd(&[
        "prompt", "--scene", "examples/organize_toolbox.rwd", "--descriptor", "docs/descriptors/unclosed_lid.json",
        "--image", &png_s, "--format", "json", "--model", "test-model",
    ]);
    let _ = std::fs::remove_file(&png);
    assert_eq!(code, 0, "{err}");
    let body: Value = serde_json::from_str(&stdout).expect("json body");
    assert_eq!(body["model"], "test-model");
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages[0]["role"], "system");
    let system = messages[0]["content"].as_str().expect("system text");
    for b in rwd::builtins::BUILTINS {
        assert!(system.contains(b.name), "{}", b.name);
    }
    for kw in rwd::vlm::reference::keywords() {
        assert!(system.contains(&format!("`{kw}`")), "{kw}");
    }
    let parts = messages[1]["content"].as_array().expect("parts");
    assert_eq!(parts[0]["type"], "text");
    let text = parts[0]["text"].as_str().expect("text");
    assert!(text.contains("lid.joint") && text.contains("\"unclosed_lid\"") && text.contains("scene toolbox_bench"), "{text}");
    assert_eq!(parts[1]["type"], "image_url");
    assert_eq!(parts[1]["image_url"]["url"], format!("data:image/png;base64,{}", rwd::vlm::prompt::base64(b"\x89PNG\r\n\x1a\nfake")));

    let (code, stdout, _) = rwd(&["prompt", "--scene", "examples/organize_toolbox.rwd", "--descriptor", "docs/descriptors/unclosed_lid.json"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("===== system\n") && stdout.contains("===== user\n"));
}

// ------------------------------------------------------------- the server

/// What the fake endpoint does with one request.
#[derive(Clone)]
enum Reply {
    /// 200 with a chat completion whose message is this text.
    Model(&'static str),
    /// This status and body.
    Raw(u16, &'static str),
    /// Read the request, answer nothing for this long, close.
    Hang(Duration),
}

/// An OpenAI-compatible endpoint on 127.0.0.1 that answers with `replies`
/// in order and records every request body. It serves at most
/// `replies.len()` requests and stops by itself after 60 s.
struct Server {
    url: String,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl Server {
    fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut replies = replies.into_iter();
            while Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let Some(reply) = replies.next() else { return };
                        let _ = serve(stream, &reply, &seen);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, requests }
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

fn serve(stream: TcpStream, reply: &Reply, seen: &Mutex<Vec<Value>>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    let mut authorization = String::new();
    let mut first = String::new();
    reader.read_line(&mut first)?;
    assert!(first.starts_with("POST /v1/chat/completions "), "request line: {first}");
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            } else if k.eq_ignore_ascii_case("authorization") {
                authorization = v.trim().to_string();
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    // The body as sent, plus the Authorization header under a key of our own.
    if let Ok(mut v) = serde_json::from_slice::<Value>(&body)
        && let Ok(mut s) = seen.lock()
    {
        v["_authorization"] = authorization.into();
        s.push(v);
    }
    let (status, text) = match reply {
        Reply::Model(content) => (200, serde_json::json!({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}).to_string()),
        Reply::Raw(status, body) => (*status, (*body).to_string()),
        Reply::Hang(d) => {
            std::thread::sleep(*d);
            return Ok(());
        }
    };
    let mut stream = stream;
    write!(stream, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len())?;
    stream.flush()
}

/// `rwd generate` for the broccoli scene against `url`; the output file's text.
fn generate(url: &str, extra: &[&str]) -> (i32, Option<String>, String) {
    let out = std::env::temp_dir().join(format!("rwd-gen-{}-{}.rwd", std::process::id(), url.rsplit(':').next().unwrap_or("").replace('/', "")));
    let out_s = out.to_string_lossy().to_string();
    let mut args = vec![
        "generate", "--scene", "examples/sort_vegetables.rwd", "--descriptor", "docs/descriptors/misplaced_broccoli.json",
        "--base-url", url, "--model", "test-model", "--api-key", "sk-test", "--backoff-ms", "10", "--out", &out_s,
    ];
    args.extend_from_slice(extra);
    let (code, _, err) = rwd(&args);
    let text = std::fs::read_to_string(&out).ok();
    let _ = std::fs::remove_file(&out);
    (code, text, err)
}

const SCENE: &str = "scene vegetable_table {
    gripper:     Gripper
    table:       Object
    broccoli:    Object
    carrot:      Object
    green_bowl:  Object
    orange_bowl: Object
}
";

fn fenced(body: &str) -> String {
    format!("Here is the reward.\n\n```rwd\nuse stages\n{SCENE}\n{body}\n```\n\nIt reaches, grasps, carries and releases the broccoli.")
}

/// A correct answer.
fn good() -> &'static str {
    Box::leak(
        fenced(
            "failure misplaced = !contain(green_bowl, broccoli)
reward recover for misplaced {
    include pick_up(gripper, broccoli)
    include place_in(gripper, broccoli, green_bowl)
    success when done(release)
}",
        )
        .into_boxed_str(),
    )
}

/// A correct answer with `body` as its reward's extra line.
fn with(line: &str) -> &'static str {
    Box::leak(
        fenced(&format!(
            "failure misplaced = !contain(green_bowl, broccoli)
reward recover for misplaced {{
    include pick_up(gripper, broccoli)
    include place_in(gripper, broccoli, green_bowl)
    {line}
}}"
        ))
        .into_boxed_str(),
    )
}

/// The text of the last user message of a recorded request.
fn last_user_text(request: &Value) -> String {
    request["messages"].as_array().and_then(|m| m.iter().rev().find(|m| m["role"] == "user")).and_then(|m| m["content"].as_str()).unwrap_or("").to_string()
}

#[test]
fn a_correct_reply_is_accepted_in_one_round() {
    let server = Server::start(vec![Reply::Model(good())]);
    let (code, text, err) = generate(&server.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(text.is_some_and(|t| t.contains("include place_in(gripper, broccoli, green_bowl)") && !t.contains("```")));
    assert!(err.contains("round 1: compiles"), "{err}");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["model"], "test-model");
    assert_eq!(requests[0]["_authorization"], "Bearer sk-test");
    assert_eq!(requests[0]["temperature"], 0.0);
    assert!(last_user_text(&requests[0]).contains("misplaced_object"));
}

#[test]
fn a_reply_without_the_scene_gets_the_one_it_was_given() {
    let reply = "```rwd\nuse stages\n\nfailure misplaced = !contain(green_bowl, broccoli)\nreward recover for misplaced {\n    include pick_up(gripper, broccoli)\n    include place_in(gripper, broccoli, green_bowl)\n}\n```";
    let server = Server::start(vec![Reply::Model(reply)]);
    let (code, text, err) = generate(&server.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(text.is_some_and(|t| t.contains("scene vegetable_table {") && t.contains("// the table-top slab")), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn python_isms_are_fixed_without_a_round_trip() {
    let server = Server::start(vec![Reply::Model(with("success when done(release) and True or not False"))]);
    let (code, text, err) = generate(&server.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(text.is_some_and(|t| t.contains("done(release) && true || ! false")));
    assert!(err.contains("compiles (5 automatic fix(es))"), "{err}");
    assert_eq!(server.requests().len(), 1);
}

/// Typical mistakes that need the model: the repair request carries the
/// diagnostics (code, excerpt, suggestion) and the model's fix is accepted.
#[test]
fn mistakes_go_back_with_their_diagnostics_and_the_repair_is_accepted() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("misspelled builtin", "penalty far = -1 when distnace(broccoli, green_bowl) > 30cm", &["E0012", "distnace", "\"replacement\": \"distance\""]),
        ("missing unit", "penalty far = -1 when distance(broccoli, green_bowl) > 30", &["E0034", "cm"]),
        ("unknown entity", "penalty moved = -1 when !contain(orange_bowl, carot)", &["E0010", "carot", "\"replacement\": \"carrot\""]),
        ("float equality", "penalty z = -1 when broccoli.pos.z == 0", &["E0035", "tolerance", "\"replacement\": \"abs(broccoli.pos.z) < 1mm\""]),
        ("assignment without let", "holding = is_holding(gripper, broccoli)", &["E0001", "let holding"]),
    ];
    for (what, line, wanted) in cases {
        let server = Server::start(vec![Reply::Model(with(line)), Reply::Model(good())]);
        let (code, text, err) = generate(&server.url, &[]);
        assert_eq!(code, 0, "{what}: {err}");
        assert!(text.is_some(), "{what}");
        assert!(err.contains("round 1: 1 error(s)") && err.contains("round 2: compiles"), "{what}: {err}");
        let requests = server.requests();
        assert_eq!(requests.len(), 2, "{what}");
        let repair = last_user_text(&requests[1]);
        for w in *wanted {
            assert!(repair.contains(w), "{what}: the repair request lacks `{w}`:\n{repair}");
        }
        // The conversation carries the model's own first answer.
        let messages = requests[1]["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 4, "{what}");
        assert_eq!(messages[2]["role"], "assistant");
    }
}

#[test]
fn a_missing_brace_is_reported_at_the_right_place() {
    let broken: &'static str = Box::leak(
        fenced(
            "failure misplaced = !contain(green_bowl, broccoli)
reward recover for misplaced {
    include pick_up(gripper, broccoli)
    stage carry {
        hold is_holding(gripper, broccoli) else grasp
        done contain(green_bowl, broccoli)
    success when done(carry)
}",
        )
        .into_boxed_str(),
    );
    // The diagnostic names the open `{` and the declaration it runs into.
    let code_only = broken.split("```rwd\n").nth(1).and_then(|r| r.split("```").next()).unwrap_or("");
    let c = rwd::compile("m.rwd", code_only);
    let d = c.diagnostics.iter().find(|d| d.is_error()).expect("an error");
    assert_eq!(d.message, "missing `}`: `stage carry` is not closed before `success`");
    assert_eq!(c.sources.get(d.secondary[0].span.file).slice(d.secondary[0].span), "{");
    // It is certain where the `}` goes, so no round trip is needed.
    let server = Server::start(vec![Reply::Model(broken)]);
    let (code, text, err) = generate(&server.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(text.is_some_and(|t| t.contains("done contain(green_bowl, broccoli)\n    }\n    success")), "{err}");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn the_image_and_the_environment_reach_the_endpoint() {
    let png = std::env::temp_dir().join(format!("rwd-gen-{}.png", std::process::id()));
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nimage").expect("write png");
    let server = Server::start(vec![Reply::Model(good())]);
    let out = Command::new(env!("CARGO_BIN_EXE_rwd"))
        .args(["generate", "--scene", "examples/sort_vegetables.rwd", "--descriptor", "docs/descriptors/misplaced_broccoli.json"])
        .args(["--image", &png.to_string_lossy()])
        .env("RWD_BASE_URL", &server.url)
        .env("RWD_MODEL", "env-model")
        .env_remove("OPENAI_API_KEY")
        .current_dir(ROOT)
        .output()
        .expect("run");
    let _ = std::fs::remove_file(&png);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("reward recover for misplaced"));
    let requests = server.requests();
    assert_eq!(requests[0]["model"], "env-model");
    assert_eq!(requests[0]["_authorization"], "", "no key, no Authorization header");
    let parts = requests[0]["messages"][1]["content"].as_array().expect("parts");
    assert!(parts[1]["image_url"]["url"].as_str().is_some_and(|u| u.starts_with("data:image/png;base64,iVBORw0KGg")));
}

#[test]
fn no_program_is_asked_again_and_giving_up_is_an_error() {
    let server = Server::start(vec![Reply::Model("I'm sorry, I cannot help with robots."), Reply::Model(good())]);
    let transcript = std::env::temp_dir().join(format!("rwd-transcript-{}.json", std::process::id()));
    let (code, _, err) = generate(&server.url, &["--transcript", &transcript.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("round 1: no program"), "{err}");
    assert!(last_user_text(&server.requests()[1]).contains("could not find an rwd program"));
    let conversation: Value = serde_json::from_str(&std::fs::read_to_string(&transcript).unwrap_or_default()).expect("transcript is JSON");
    let _ = std::fs::remove_file(&transcript);
    let roles: Vec<&str> = conversation.as_array().map(|m| m.iter().filter_map(|m| m["role"].as_str()).collect()).unwrap_or_default();
    assert_eq!(roles, ["system", "user", "assistant", "user", "assistant"]);

    let server = Server::start(vec![Reply::Model("No."), Reply::Model("```rwd\n```")]);
    let (code, text, err) = generate(&server.url, &["--rounds", "1"]);
    assert_eq!(code, 1);
    assert!(text.is_none(), "nothing is written when no program compiles");
    assert!(err.contains("no compiling program after 2 round(s)") && err.contains("code blocks are all empty"), "{err}");
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let server = Server::start(vec![Reply::Raw(500, "{\"error\": \"overloaded\"}"), Reply::Raw(429, "slow down"), Reply::Model(good())]);
    let (code, _, err) = generate(&server.url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("HTTP 500") && err.contains("HTTP 429") && err.contains("retrying in 10 ms") && err.contains("retrying in 20 ms"), "{err}");
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn endpoint_failures_are_clear_errors() {
    // Down: a port that was just free.
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let (code, _, err) = generate(&format!("http://127.0.0.1:{port}/v1"), &["--retries", "1"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot reach the model endpoint"), "{err}");

    // Hangs: the timeout fires.
    let server = Server::start(vec![Reply::Hang(Duration::from_secs(5))]);
    let started = Instant::now();
    let (code, _, err) = generate(&server.url, &["--timeout", "0.5", "--retries", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("did not answer within 0.5 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Settings a client cannot take are usage errors, never a panic (a
    // timeout of 1e300 s once was).
    for (flag, value) in [("--timeout", "1e300"), ("--timeout", "nan"), ("--timeout", "0"), ("--retries", "1000"), ("--backoff-ms", "1e9")] {
        let (code, _, err) = generate("http://127.0.0.1:9/v1", &[flag, value]);
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(err.starts_with(&format!("error: `{flag}`")), "{flag} {value}: {err}");
    }

    // Garbage.
    let server = Server::start(vec![Reply::Raw(200, "<html>proxy error</html>")]);
    let (code, _, err) = generate(&server.url, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("not a chat completion") && err.contains("proxy error"), "{err}");

    // A client error is not retried.
    let server = Server::start(vec![Reply::Raw(401, "{\"error\": \"bad key\"}")]);
    let (code, _, err) = generate(&server.url, &[]);
    assert_eq!(code, 1);
    assert!(err.contains("HTTP 401") && err.contains("bad key"), "{err}");
    assert_eq!(server.requests().len(), 1);

    // No endpoint configured at all.
    let out = Command::new(env!("CARGO_BIN_EXE_rwd"))
        .args(["generate", "--scene", "examples/sort_vegetables.rwd", "--descriptor", "docs/descriptors/misplaced_broccoli.json"])
        .env_remove("RWD_BASE_URL")
        .env_remove("OPENAI_BASE_URL")
        .current_dir(ROOT)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RWD_BASE_URL"));
}

/// A model can send thousands of broken items: every step that runs per
/// diagnostic (syntax fixes, JSON excerpts) must not walk the whole file, or
/// this takes minutes instead of about a second.
#[test]
fn many_broken_items_are_diagnosed_in_linear_time() {
    let mut src = String::from("scene s { g: Gripper }\n");
    for i in 0..20_000 {
        src.push_str(if i % 2 == 0 { "reward r { x }\n" } else { "check c { a = np.tanh(1) }\n" });
    }
    let started = Instant::now();
    let c = rwd::compile("many.rwd", &src);
    let json = rwd::diag::render::render_json(&c.diagnostics, &c.sources);
    let elapsed = started.elapsed();
    assert!(c.diagnostics.len() >= 20_000 && json.contains("\"excerpt\": \"check c { a = np.tanh(1) }\""));
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
}

// ------------------------------------------------------------------ corpus

fn corpus_report() -> rwd::vlm::corpus::Report {
    let mut paths: Vec<_> = std::fs::read_dir(format!("{ROOT}/tests/corpus")).expect("corpus dir").filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut report = rwd::vlm::corpus::Report::default();
    for p in paths.iter().filter(|p| p.extension().is_some_and(|x| x == "rwd")) {
        let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let text = std::fs::read_to_string(p).expect("readable");
        assert!(text.starts_with("// mistake: "), "{name}: the first line says what is wrong");
        report.files.push((name.clone(), rwd::vlm::corpus::classify(&name, &text)));
    }
    report
}

/// The current numbers: a change in the diagnostics that moves them shows
/// here (update the numbers when the move is an improvement).
#[test]
fn corpus_numbers() {
    let report = corpus_report();
    let summary = (report.files.len(), report.as_is(), report.auto_fixed(), report.round_trip());
    let codes: Vec<(&str, usize)> = report.remaining_codes().into_iter().collect();
    println!("{}", report.render());
    assert!(report.files.len() >= 60);
    assert_eq!(summary, CORPUS_SUMMARY, "{}", report.render());
    assert_eq!(codes, CORPUS_CODES, "{}", report.render());
}

/// (programs, compile as is, fixed automatically, need a round trip).
const CORPUS_SUMMARY: (usize, usize, usize, usize) = (97, 5, 53, 39);
const CORPUS_CODES: &[(&str, usize)] = &[("E0001", 5), ("E0010", 5), ("E0011", 1), ("E0012", 5), ("E0019", 1), ("E0030", 1), ("E0031", 4), ("E0034", 4), ("E0035", 9), ("E0040", 5)];

#[test]
fn corpus_cli_prints_the_table() {
    let (code, stdout, err) = rwd(&["corpus", "tests/corpus", "--bench", "--runs", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("97 programs:") && stdout.contains("median") && stdout.contains("p90"), "{stdout}");
}
