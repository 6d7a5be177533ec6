//! Small conversions between Rust and JavaScript values: headers (byte-faithful), errors,
//! byte arrays, and property access on plain objects.

use http::{HeaderMap, HeaderName, HeaderValue};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// A header value as a JavaScript ByteString: each byte one character (Latin-1), so that
/// values that are not ASCII cross unchanged.
pub fn byte_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The bytes of a ByteString (characters above U+00FF cannot occur in headers).
fn from_byte_string(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// A Rust header map as a `Headers` object. `skip` names headers the runtime sets itself.
pub fn to_js_headers(headers: &HeaderMap, skip: &[&str]) -> Result<web_sys::Headers, JsValue> {
    let out = web_sys::Headers::new()?;
    for (name, value) in headers {
        if skip.contains(&name.as_str()) {
            continue;
        }
        out.append(name.as_str(), &byte_string(value.as_bytes()))?;
    }
    Ok(out)
}

/// A `Headers` object as a Rust header map (names lower-cased by the runtime).
pub fn from_js_headers(headers: &web_sys::Headers) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, value) in worker::Headers(headers.clone()).entries() {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&from_byte_string(&value)),
        ) else {
            continue;
        };
        out.append(name, value);
    }
    out
}

/// The message of a thrown JavaScript value.
pub fn message(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// A copy of `bytes` as a `Uint8Array`.
pub fn uint8_array(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// `obj[name]`, or `undefined`.
pub fn get(obj: &JsValue, name: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[name]` as a string, when it is one.
pub fn get_string(obj: &JsValue, name: &str) -> Option<String> {
    get(obj, name).as_string()
}

/// `obj[name]` as a number, when it is one.
pub fn get_f64(obj: &JsValue, name: &str) -> Option<f64> {
    get(obj, name).as_f64()
}

/// Sets `obj[name] = value` (plain objects built here: cannot fail).
pub fn set(obj: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(name), value);
}

/// A plain object's own string-valued properties.
pub fn string_entries(obj: &JsValue) -> Vec<(String, String)> {
    if !obj.is_object() {
        return Vec::new();
    }
    let Ok(obj) = obj.clone().dyn_into::<Object>() else {
        return Vec::new();
    };
    Object::entries(&obj)
        .iter()
        .filter_map(|pair| {
            let pair: Array = pair.unchecked_into();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}
