//! Mutations of JSON messages as trees: values swapped for edge cases or for pieces of other
//! messages, keys dropped, added and renamed — inputs that get past the JSON parser and into
//! serde's handling of tags, fields and numbers, which byte flips rarely reach.

use crate::rng::Rng;
use serde_json::{Map, Number, Value};

/// Words that move a message between variants and fields: every key and string of the seeds.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    words: Vec<String>,
    pieces: Vec<Value>,
}

impl Dictionary {
    /// Collects the keys, strings and sub-trees of `seeds`.
    pub fn new<'a>(seeds: impl IntoIterator<Item = &'a Value>) -> Self {
        let mut dictionary = Self::default();
        for seed in seeds {
            dictionary.collect(seed);
        }
        dictionary.words.sort();
        dictionary.words.dedup();
        dictionary
    }

    fn collect(&mut self, value: &Value) {
        self.pieces.push(value.clone());
        match value {
            Value::String(s) => self.words.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            Value::Object(map) => {
                for (key, v) in map {
                    self.words.push(key.clone());
                    self.collect(v);
                }
            }
            _ => {}
        }
    }

    fn word(&self, rng: &mut Rng) -> String {
        rng.pick(&self.words).cloned().unwrap_or_default()
    }
}

/// Applies one to three tree mutations to `value`.
pub fn mutate(rng: &mut Rng, value: &mut Value, dictionary: &Dictionary) {
    for _ in 0..=rng.below(3) {
        let pointer = random_pointer(rng, value);
        if let Some(node) = value.pointer_mut(&pointer) {
            mutate_node(rng, node, dictionary);
        }
    }
}

/// The JSON pointer of a random node: a walk down from the root that stops at each step with
/// probability one in three.
fn random_pointer(rng: &mut Rng, mut node: &Value) -> String {
    let mut pointer = String::new();
    loop {
        let next = match node {
            Value::Array(items) if !items.is_empty() => {
                let at = rng.below(items.len());
                items.get(at).map(|child| (at.to_string(), child))
            }
            Value::Object(map) if !map.is_empty() => map
                .iter()
                .nth(rng.below(map.len()))
                .map(|(key, child)| (key.replace('~', "~0").replace('/', "~1"), child)),
            _ => None,
        };
        match next {
            Some((step, child)) if !rng.one_in(3) => {
                pointer.push('/');
                pointer.push_str(&step);
                node = child;
            }
            _ => return pointer,
        }
    }
}

fn mutate_node(rng: &mut Rng, node: &mut Value, dictionary: &Dictionary) {
    match rng.below(8) {
        0 => *node = scalar(rng, dictionary),
        1 => {
            if let Some(piece) = rng.pick(&dictionary.pieces) {
                *node = piece.clone();
            }
        }
        2 | 3 => match node {
            Value::Object(map) => mutate_object(rng, map, dictionary),
            Value::Array(items) => mutate_array(rng, items),
            other => *other = scalar(rng, dictionary),
        },
        4 => *node = Value::String(dictionary.word(rng)),
        5 => *node = Value::Number(number(rng)),
        6 => *node = Value::Array(vec![node.clone()]),
        _ => {
            let mut map = Map::new();
            map.insert(dictionary.word(rng), node.clone());
            *node = Value::Object(map);
        }
    }
}

fn mutate_object(rng: &mut Rng, map: &mut Map<String, Value>, dictionary: &Dictionary) {
    let keys: Vec<String> = map.keys().cloned().collect();
    match (rng.below(3), rng.pick(&keys)) {
        (0, Some(key)) => {
            map.remove(key);
        }
        (1, Some(key)) => {
            if let Some(value) = map.remove(key) {
                map.insert(dictionary.word(rng), value);
            }
        }
        _ => {
            map.insert(dictionary.word(rng), scalar(rng, dictionary));
        }
    }
}

fn mutate_array(rng: &mut Rng, items: &mut Vec<Value>) {
    match (rng.below(2), items.len()) {
        (_, 0) => items.push(Value::Null),
        (0, len) => {
            items.remove(rng.below(len));
        }
        (_, len) => {
            let copy = items[rng.below(len)].clone();
            items.push(copy);
        }
    }
}

fn scalar(rng: &mut Rng, dictionary: &Dictionary) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 | 3 => Value::Number(number(rng)),
        4 => Value::String(dictionary.word(rng)),
        _ => Value::String("\u{0}\u{ffff}é😀\"\\".chars().take(rng.below(7)).collect()),
    }
}

fn number(rng: &mut Rng) -> Number {
    match rng.below(4) {
        0 => Number::from(rng.interesting_i64()),
        1 => Number::from(rng.next_u64()),
        2 => Number::from(u64::MAX - rng.below(2) as u64),
        _ => {
            let x = [
                0.5,
                -0.0,
                1e300,
                -1e-300,
                2.5e9,
                1.0000000000000002,
                4294967296.5,
            ][rng.below(7)];
            Number::from_f64(x).unwrap_or_else(|| Number::from(0))
        }
    }
}
