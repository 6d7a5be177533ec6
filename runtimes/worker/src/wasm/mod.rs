//! The Worker itself (wasm32 only): the `fetch` event, the per-isolate state, and the
//! executor of the core's plans.

mod exec;
mod fetch;
mod js;
mod r2;
mod streams;

use std::cell::RefCell;
use std::rc::Rc;

use http::Method;
use http::header::{HOST, HeaderValue};
use multistore_core::codec::scalar::DateTime;
use multistore_core::error::Error;
use multistore_core::gateway::RequestHead;
use wasm_bindgen::JsValue;
use worker::{Context, Env, event};

use self::exec::{Ctx, Exec};
use crate::config::{self, CONFIG_BINDING, LoadError, Loaded, MissingConfig};
use crate::request::{RequestIds, client_ip, header_bytes, split_url};

/// Everything built once per isolate.
pub struct State {
    pub loaded: Loaded,
    pub ids: RequestIds,
}

thread_local! {
    static STATE: RefCell<Option<Rc<State>>> = const { RefCell::new(None) };
}

/// A string binding (var or secret), or a `[vars]` table given as an object (as JSON).
fn string_binding(env: &Env, name: &str) -> Option<String> {
    let value = js::get(env.as_ref(), name);
    if let Some(s) = value.as_string() {
        return Some(s);
    }
    if value.is_object() {
        return js_sys::JSON::stringify(&value).ok().map(String::from);
    }
    None
}

/// The state, built on the first request of the isolate and reused after.
fn state(env: &Env) -> Result<Rc<State>, LoadError> {
    if let Some(state) = STATE.with(|s| s.borrow().clone()) {
        return Ok(state);
    }
    let text = string_binding(env, CONFIG_BINDING).ok_or(LoadError::Missing(MissingConfig))?;
    let secrets = |name: &str| js::get(env.as_ref(), name).as_string();
    let loaded = config::load(&text, &secrets)?;
    // Not security-relevant: request ids only need to differ between isolates.
    let prefix = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    let state = Rc::new(State {
        loaded,
        ids: RequestIds::new(prefix),
    });
    STATE.with(|s| *s.borrow_mut() = Some(Rc::clone(&state)));
    Ok(state)
}

fn plain(status: u16, text: &str) -> worker::Result<web_sys::Response> {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    Ok(web_sys::Response::new_with_opt_str_and_init(
        Some(text),
        &init,
    )?)
}

#[event(fetch)]
async fn fetch(
    req: web_sys::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<web_sys::Response> {
    let state = match state(&env) {
        Ok(state) => state,
        Err(e) => {
            worker::console_error!("multistore cannot start: {e}");
            return plain(500, &format!("multistore is not configured: {e}\n"));
        }
    };
    let url = req.url();
    let (raw_path, raw_query) = split_url(&url);
    let mut headers = js::from_js_headers(&req.headers());
    if !headers.contains_key(HOST) {
        let authority = url.split_once("://").map_or("", |(_, rest)| rest);
        let authority = authority.split('/').next().unwrap_or_default();
        if let Ok(v) = HeaderValue::from_str(authority) {
            headers.insert(HOST, v);
        }
    }
    let method = Method::from_bytes(req.method().as_bytes()).unwrap_or(Method::GET);
    let ctx = Ctx {
        request_id: state.ids.next_id(),
        resource: raw_path.clone(),
        method: method.clone(),
        headers: headers.clone(),
        now: DateTime::from_millis(js_sys::Date::now() as i64),
    };
    let exec = Exec {
        state: &state,
        env: &env,
        ctx: &ctx,
    };
    let max_header_bytes = state.loaded.limits.max_header_bytes;
    let response = if header_bytes(&headers) > max_header_bytes {
        exec.error(&Error::RequestHeaderTooLarge {
            limit: max_header_bytes,
        })
    } else {
        let head = RequestHead {
            method,
            raw_path,
            raw_query,
            client_ip: client_ip(&headers),
            headers,
            now: ctx.now,
            request_id: ctx.request_id.clone(),
        };
        let plan = state.loaded.gateway.resolve(head);
        exec.run(plan, req.body()).await
    };
    response.map_err(|e: JsValue| worker::Error::JsError(js::message(&e)))
}
