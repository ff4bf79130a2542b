//! The served OpenAPI document against what the routes really send: `send` checks every JSON
//! body the router tests receive against the schema the document gives for its route, method
//! and status (`check_response`), so a field renamed or retyped on one side fails the tests
//! that see it. The checker reads the parts of JSON Schema that the document uses: `$ref`,
//! `allOf`, `oneOf`, `anyOf`, `type`, `enum`, `required`, `properties` (an object may have no
//! other keys unless `additionalProperties` allows them), `items`, `prefixItems`, `minimum`,
//! `maximum` and the `date` format.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{app, get, post, send};

static DOCUMENT: OnceCell<Value> = OnceCell::const_new();

/// The document as served, fetched once from a fresh app.
pub async fn document() -> &'static Value {
    DOCUMENT
        .get_or_init(|| async {
            use http_body_util::BodyExt;
            use tower::ServiceExt;
            let res = app().oneshot(get("/api/openapi.json")).await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            serde_json::from_slice(&bytes).unwrap()
        })
        .await
}

/// [`document`], for code that is not async (a WebSocket read on a blocking thread, or outside
/// any runtime as in the property tests).
pub fn document_blocking() -> &'static Value {
    if let Some(doc) = DOCUMENT.get() {
        return doc;
    }
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.block_on(document()),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(document()),
    }
}

/// What is wrong with `body`, received for `method path` with `status`, by `doc`; empty when
/// it matches. Paths the document does not have (the page, unknown routes) and methods a path
/// does not take answer with the error body; so does an error status an operation does not
/// list (the guards' 400 and 403, a 413, ...). A success status it does not list is wrong.
pub fn check_response(
    doc: &Value,
    method: &str,
    path: &str,
    status: u16,
    body: &Value,
) -> Vec<String> {
    let error = json!({ "$ref": "#/components/schemas/Error" });
    let at = format!("{method} {path} {status}");
    let path = path.split('?').next().unwrap_or(path);
    let Some(item) = doc["paths"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(template, _)| path_matches(template, path))
        .map(|(_, item)| item)
    else {
        // Not an API route: the page's files, or the JSON 404 for an unknown one.
        return if status >= 400 {
            check(doc, &error, body, &at)
        } else {
            Vec::new()
        };
    };
    let Some(operation) = item.get(method.to_lowercase()) else {
        return check(doc, &error, body, &at);
    };
    match operation["responses"].get(status.to_string()) {
        Some(response) => match response.pointer("/content/application~1json/schema") {
            Some(schema) => check(doc, schema, body, &at),
            None => Vec::new(),
        },
        None if status >= 400 => check(doc, &error, body, &at),
        None => vec![format!("{at}: the document does not list this status")],
    }
}

fn path_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// What is wrong with `value` by `schema` (within `doc`, for its `$ref`s), each problem named
/// by where it is (`at`, then a JSON pointer into the value).
pub fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    walk(doc, schema, value, at, false, &mut problems);
    problems
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> Result<&'a Value, String> {
    match schema.get("$ref").and_then(Value::as_str) {
        None => Ok(schema),
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| doc["components"]["schemas"].get(name))
            .ok_or_else(|| format!("{r} is not in the document")),
    }
}

/// The property names `schema` lists, or `None` when it leaves an object open.
fn property_names(doc: &Value, schema: &Value) -> Option<Vec<String>> {
    let schema = resolve(doc, schema).ok()?;
    if let Some(parts) = schema["allOf"].as_array() {
        let mut names = Vec::new();
        for part in parts {
            names.extend(property_names(doc, part)?);
        }
        return Some(names);
    }
    if schema
        .get("additionalProperties")
        .is_some_and(|a| a != &json!(false))
    {
        return None;
    }
    Some(schema["properties"].as_object()?.keys().cloned().collect())
}

/// `open`: keys beyond `properties` are checked by the caller (a part of an `allOf`).
fn walk(doc: &Value, schema: &Value, value: &Value, at: &str, open: bool, out: &mut Vec<String>) {
    if schema == &json!(false) {
        out.push(format!("{at}: nothing may be here"));
        return;
    }
    let schema = match resolve(doc, schema) {
        Ok(s) => s,
        Err(e) => {
            out.push(format!("{at}: {e}"));
            return;
        }
    };
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            walk(doc, part, value, at, true, out);
        }
        if !open
            && let (Some(names), Some(object)) = (property_names(doc, schema), value.as_object())
        {
            for key in object.keys().filter(|k| !names.contains(k)) {
                out.push(format!("{at}/{key}: not in the schema"));
            }
        }
    }
    for (kind, needs) in [("oneOf", Some(1)), ("anyOf", None)] {
        if let Some(options) = schema[kind].as_array() {
            let results: Vec<Vec<String>> = options
                .iter()
                .map(|o| {
                    let mut p = Vec::new();
                    walk(doc, o, value, at, open, &mut p);
                    p
                })
                .collect();
            let fits = results.iter().filter(|p| p.is_empty()).count();
            if fits == 0 || needs.is_some_and(|n| fits != n) {
                let closest = results
                    .iter()
                    .min_by_key(|p| p.len())
                    .cloned()
                    .unwrap_or_default();
                out.push(format!(
                    "{at}: fits {fits} of the {} {kind} alternatives (closest: {})",
                    options.len(),
                    closest.join("; ")
                ));
            }
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.iter().any(|t| is_type(value, t)) {
            out.push(format!(
                "{at}: {} is not {}",
                short(value),
                types.join(" or ")
            ));
            return;
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        out.push(format!(
            "{at}: {} is not one of {}",
            short(value),
            Value::from(options.clone())
        ));
    }
    if let Some(n) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| n < m) {
            out.push(format!(
                "{at}: {n} is below the minimum {}",
                schema["minimum"]
            ));
        }
        if schema["maximum"].as_f64().is_some_and(|m| n > m) {
            out.push(format!(
                "{at}: {n} is above the maximum {}",
                schema["maximum"]
            ));
        }
    }
    if schema["format"] == "date"
        && let Some(s) = value.as_str()
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err()
    {
        out.push(format!("{at}: \"{s}\" is not a date (YYYY-MM-DD)"));
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                out.push(format!("{at}/{name}: required, missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (key, v) in object {
            let here = format!("{at}/{key}");
            match (
                properties.and_then(|p| p.get(key)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => walk(doc, s, v, &here, false, out),
                (None, Some(extra)) if extra.is_object() => walk(doc, extra, v, &here, false, out),
                (None, Some(extra)) if extra == &json!(true) => {}
                (None, _) if open || properties.is_none() => {}
                (None, _) => out.push(format!("{here}: not in the schema")),
            }
        }
    }
    if let Some(items) = value.as_array() {
        let prefix = schema["prefixItems"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for (i, v) in items.iter().enumerate() {
            let here = format!("{at}/{i}");
            match (prefix.get(i), schema.get("items")) {
                (Some(s), _) | (None, Some(s)) => walk(doc, s, v, &here, false, out),
                (None, None) => {}
            }
        }
    }
}

fn is_type(value: &Value, t: &str) -> bool {
    match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

fn short(value: &Value) -> String {
    let s = value.to_string();
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

#[tokio::test]
async fn every_schema_the_document_names_is_in_it() {
    let doc = document().await;
    let mut refs = Vec::new();
    collect_refs(doc, &mut refs);
    assert!(refs.len() > 30, "{refs:?}");
    for r in refs {
        assert!(
            resolve(doc, &json!({ "$ref": r })).is_ok(),
            "{r} is not in the document"
        );
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get("$ref") {
                out.push(r.clone());
            }
            o.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The check itself can fail: real bodies with a field renamed, retyped or added are caught.
#[tokio::test]
async fn a_body_that_differs_from_its_schema_is_caught() {
    let doc = document().await;
    let app = app();
    let (s, today) = send(&app, get("/api/today")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        check_response(doc, "GET", "/api/today", 200, &today),
        Vec::<String>::new()
    );

    let mut renamed = today.clone();
    let streak = renamed.as_object_mut().unwrap().remove("streak").unwrap();
    renamed["streak_days"] = streak;
    let problems = check_response(doc, "GET", "/api/today", 200, &renamed);
    assert!(
        problems
            .iter()
            .any(|p| p.ends_with("/streak: required, missing")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.ends_with("/streak_days: not in the schema")),
        "{problems:?}"
    );

    // Deep inside a type described by hand (supine-core's View, in an Update).
    super::send(&app, post("/api/screening", super::all_no())).await;
    super::send(&app, post("/api/daily-check", json!({"answer": "no"}))).await;
    let (s, started) = send(&app, post("/api/sessions", json!({ "pain_before": 2 }))).await;
    assert_eq!(s, StatusCode::CREATED);
    let mut retyped = started.clone();
    retyped["update"]["view"]["segment"] = json!("first");
    let problems = check_response(doc, "POST", "/api/sessions", 201, &retyped);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("/update/view/segment: \"first\" is not integer")),
        "{problems:?}"
    );
    let mut wrong_word = started.clone();
    wrong_word["plan"]["settings"] = json!(null);
    wrong_word["update"]["figure"]["kind"] = json!("jump");
    let problems = check_response(doc, "POST", "/api/sessions", 201, &wrong_word);
    assert_eq!(problems.len(), 2, "{problems:?}");

    // An undocumented success, and an error status with the wrong body.
    assert_eq!(
        check_response(doc, "GET", "/api/today", 202, &today).len(),
        1
    );
    assert!(
        !check_response(
            doc,
            "GET",
            "/api/sessions/7",
            404,
            &json!({ "message": "x" })
        )
        .is_empty()
    );
}
