//! Writer schemas parsed once: the text, apache-avro's schema and the planned decoder, looked
//! up by text so a corpus file and a generated input take the same path.

use apache_avro::Schema;
use shared::decode::Decoder;
use std::collections::HashMap;
use std::rc::Rc;

/// Schemas kept at most; the cache starts over past this.
const LIMIT: usize = 256;

/// One writer schema, ready to decode with.
#[derive(Debug)]
pub struct Writer {
    /// Its JSON text.
    pub text: String,
    /// As apache-avro parsed it.
    pub schema: Schema,
    /// The planned decoder for it.
    pub decoder: Decoder,
}

/// Writer schemas by text.
#[derive(Debug, Default)]
pub struct WriterCache {
    writers: HashMap<String, Rc<Writer>>,
}

impl WriterCache {
    /// The writer of `text`, parsed the first time; `None` when it is not a schema.
    pub fn get(&mut self, text: &str) -> Option<Rc<Writer>> {
        if let Some(writer) = self.writers.get(text) {
            return Some(Rc::clone(writer));
        }
        let schema = Schema::parse_str(text).ok()?;
        let writer = Rc::new(Writer {
            text: text.to_owned(),
            decoder: Decoder::new(&schema),
            schema,
        });
        if self.writers.len() >= LIMIT {
            self.writers.clear();
        }
        self.writers.insert(text.to_owned(), Rc::clone(&writer));
        Some(writer)
    }
}
