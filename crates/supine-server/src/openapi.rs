//! The API description served at `/api/openapi.json`, written by hand.
//!
//! Why not utoipa: the request and response bodies are mostly `supine-core` types, which would
//! need `ToSchema` derives (a web dependency in the pure core) or long manual impls, and its
//! proc macros add build time on a 2-core machine. The API is small; a router test checks that
//! every route is described here.

use serde_json::{Value, json};

use crate::limits::{
    BODY_BYTES, LIVE_SESSIONS, SIGN_IN_ACCOUNT_BURST, SIGN_IN_ACCOUNT_EVERY, SIGN_IN_PEER_BURST,
    SIGN_IN_PEER_EVERY, WS_MESSAGE_BYTES,
};

fn err(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": {
        "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok(desc: &str, schema: Value) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": schema } } })
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn id_param() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } })
}

/// The OpenAPI 3.1 document.
pub fn document() -> Value {
    let obj = json!({ "type": "object" });
    let pain = json!({ "type": ["integer", "null"], "minimum": 0, "maximum": 10 });
    let plan_params: Vec<Value> = [
        "minutes",
        "level",
        "inhale_ms",
        "exhale_ms",
        "easier",
        "routine",
    ]
    .iter()
    .map(|n| json!({ "name": n, "in": "query", "required": false, "schema": { "type": "string" } }))
    .collect();
    let answer = json!({ "type": "string", "enum": ["yes", "no", "not_sure"] });
    let description = format!(
        "Guided lying-down yoga for back pain. The server owns the session state machine: the \
         page sends events and receives {{view, effects}}. Requests that change state must come \
         from the page's own origin; the Host header (one of it, and the host of an \
         absolute-form target) must name this server; bodies are limited to {} KiB (413). \
         Errors are {{\"error\": message}}, for unknown routes (404), wrong methods and OPTIONS \
         (405, with Allow) too. Beyond 127.0.0.1 every route needs a signed-in session (401 \
         without one) except the sign-in page, its assets and POST /api/sign-in. A write the journal cannot take is 507 when the disk is full \
         (nothing saved is lost) and 503 when the journal is busy or read-only.",
        BODY_BYTES / 1024
    );
    let ws = format!(
        "WebSocket: a snapshot, then an Update (JSON text) on every change and at every breath \
         turn; connecting starts the session. A text message is an event, as for POST \
         .../events; one that is not is answered {{\"error\": ...}} on that socket only. \
         Messages are limited to {} KiB (close code 1009); the server pings, and closes a socket \
         whose page answers nothing for the idle timeout.",
        WS_MESSAGE_BYTES / 1024
    );
    let full = || err("the journal is full (free disk space; nothing saved was lost)");
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "supine",
            "version": env!("CARGO_PKG_VERSION"),
            "description": description
        },
        "paths": {
            "/api/today": { "get": { "summary": "Streak, today's routine and its length, recent sessions, screening status and settings",
                "responses": { "200": ok("today", obj.clone()) } } },
            "/api/screening": {
                "get": { "summary": "The red-flag screening questions, the daily check and the screening on file",
                    "responses": { "200": ok("questions", obj.clone()) } },
                "post": { "summary": "Answer every screening question; returns the outcome and conditions that change the plan",
                    "requestBody": body(json!({ "type": "object", "required": ["answers"],
                        "properties": { "answers": { "type": "object", "additionalProperties": answer.clone() } } })),
                    "responses": { "200": ok("outcome", json!({ "$ref": "#/components/schemas/Outcome" })),
                        "422": err("a missing, unknown or invalid answer"), "507": full() } } },
            "/api/daily-check": { "post": { "summary": "Answer today's check (anything new since last time?)",
                "requestBody": body(json!({ "type": "object", "required": ["answer"], "properties": { "answer": answer } })),
                "responses": { "200": ok("outcome", json!({ "$ref": "#/components/schemas/Outcome" })), "422": err("invalid answer"), "507": full() } } },
            "/api/settings": {
                "get": { "summary": "Remembered settings (shared with the terminal)",
                    "responses": { "200": ok("settings", json!({ "$ref": "#/components/schemas/Settings" })) } },
                "put": { "summary": "Replace the settings (validated; the plan must compile)",
                    "requestBody": body(json!({ "$ref": "#/components/schemas/Settings" })),
                    "responses": { "200": ok("saved", json!({ "$ref": "#/components/schemas/Settings" })), "422": err("a value out of range"), "507": full() } } },
            "/api/plan": { "get": { "summary": "The compiled plan for the remembered settings, or for the given ones (preview)",
                "parameters": plan_params,
                "responses": { "200": ok("plan, settings and conditions", obj.clone()), "422": err("a value out of range") } } },
            "/api/sessions": {
                "get": { "summary": "Recent sessions from the journal",
                    "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } }],
                    "responses": { "200": ok("sessions, newest first", json!({ "type": "array", "items": obj.clone() })) } },
                "post": { "summary": "Start a session (needs a clear screening and a clear daily check in the last hour)",
                    "requestBody": body(json!({ "type": "object", "properties": {
                        "pain_before": pain.clone(),
                        "pain_areas": { "type": "array", "items": { "enum": ["lower_back", "hips", "leg"] },
                            "description": "where it hurts; only with pain_before above 0" },
                        "pain_spreads": { "type": ["boolean", "null"],
                            "description": "whether the pain spreads down a leg; only with pain_before above 0" } } })),
                    "responses": { "201": ok("the session id, its plan and a first update", obj.clone()),
                        "409": err("screening or daily check needed first"), "403": err("the screening advises seeing a clinician"),
                        "422": err("pain out of range"),
                        "429": err(&format!("all {LIVE_SESSIONS} places for live sessions are in use by pages; end one or try again in a few minutes")),
                        "507": full() } } },
            "/api/sessions/{id}": { "get": { "summary": "The session's current update (view, figure, ring)",
                "parameters": [id_param()],
                "responses": { "200": ok("update", json!({ "$ref": "#/components/schemas/Update" })),
                    "400": err("the id is not a whole number"), "404": err("no such live session") } } },
            "/api/sessions/{id}/events": { "post": { "summary": "Send an event: start, pause, resume, toggle_pause, next, back, hurt, quit, answer (bool), pain (0-10), choose (easier|skip|end|resume)",
                "parameters": [id_param()],
                "requestBody": body(json!({ "type": "object", "required": ["type"],
                    "properties": { "type": { "type": "string", "enum": ["start", "pause", "resume", "toggle_pause", "next", "back", "hurt", "quit", "answer", "pain", "choose"] },
                        "value": {} } })),
                "responses": { "200": ok("the update after the event (its error field is set while the journal does not take the session's records)", json!({ "$ref": "#/components/schemas/Update" })),
                    "400": err("the id is not a whole number"), "404": err("no such live session"),
                    "422": err("an invalid event (pain 11, an unknown type, a tick)") } } },
            "/api/sessions/{id}/ws": { "get": { "summary": ws,
                "parameters": [id_param()],
                "responses": { "101": { "description": "switching protocols" }, "404": err("no such live session") } } },
            "/api/progress": { "get": { "summary": "The core progress report (streak, weeks, 7-day mean with meaningful-change markers, relief, PSFS, the two-week rule), its advice in words, a calendar and SVG charts",
                "responses": { "200": ok("progress", obj.clone()) } } },
            "/api/openapi.json": { "get": { "summary": "This document", "responses": { "200": ok("OpenAPI 3.1", obj.clone()) } } },
            "/api/sign-in": { "post": { "summary": "Beyond 127.0.0.1: sign in with an account's name and password; sets the session cookie (HttpOnly, SameSite=Strict). Needs no session",
                "requestBody": body(json!({ "type": "object", "required": ["name", "password"],
                    "properties": { "name": { "type": "string" }, "password": { "type": "string" } } })),
                "responses": { "200": ok("signed in", json!({ "$ref": "#/components/schemas/Account" })),
                    "401": err("the name and password do not match an account"),
                    "409": err("on 127.0.0.1 there is nothing to sign in to"),
                    "429": err(&format!("too many attempts: {SIGN_IN_PEER_BURST} from one address, then one every {} s; {SIGN_IN_ACCOUNT_BURST} for one name, then one every {} s (Retry-After says when)",
                        SIGN_IN_PEER_EVERY.as_secs(), SIGN_IN_ACCOUNT_EVERY.as_secs())) } } },
            "/api/sign-out": { "post": { "summary": "End this session and clear its cookie",
                "responses": { "204": { "description": "signed out" }, "401": err("not signed in") } } },
            "/api/account": { "get": { "summary": "Whether this server needs sign-in, and who is signed in",
                "responses": { "200": ok("the account", json!({ "$ref": "#/components/schemas/Account" })), "401": err("not signed in") } } }
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "string" } } },
            "Account": { "type": "object", "properties": {
                "sign_in": { "type": "boolean", "description": "false on 127.0.0.1, where no account is needed" },
                "name": { "type": ["string", "null"] },
                "role": { "type": ["string", "null"], "enum": ["person", "clinician", "admin", null] } } },
            "Outcome": { "type": "object", "properties": {
                "code": { "type": "string", "enum": ["clear", "see_clinician", "see_clinician_urgently"] },
                "clear": { "type": "boolean" }, "message": { "type": "string" },
                "conditions": { "type": "array", "items": { "type": "object" } } } },
            "Settings": { "type": "object", "properties": {
                "routine": { "type": "string" },
                "minutes": { "type": ["number", "null"], "minimum": 1, "maximum": 60 },
                "level": { "type": "string", "enum": ["gentle", "standard"] },
                "inhale_ms": { "type": "integer", "minimum": 2000, "maximum": 8000 },
                "exhale_ms": { "type": "integer", "minimum": 2000, "maximum": 12000 },
                "easier": { "type": "boolean" }, "voice": { "type": "boolean" },
                "rate": { "type": "integer", "minimum": 80, "maximum": 300 },
                "web_voice": { "type": ["string", "null"] }, "breath_chimes": { "type": "boolean" } } },
            "Update": { "type": "object", "properties": {
                "id": { "type": "integer" }, "seq": { "type": "integer" }, "ended": { "type": "boolean" },
                "view": { "type": "object", "description": "supine_core::session::View" },
                "effects": { "type": "array", "items": { "type": "object", "description": "{effect: speak|stop_speech|chime|show|record|ended, value}" } },
                "figure": { "type": "object" }, "ring": { "type": "object" },
                "error": { "type": ["string", "null"], "description": "set while the journal does not take this session's records (a full disk): say so to the person; they are kept and written once it works" } } }
        } }
    })
}
