//! The kafka-demo browser playground.
//!
//! This crate will hold the Leptos CSR app built by trunk: the schema editor, client-side Avro
//! validation and decoding, and the five pipeline views. Until then it only proves that the
//! shared types build for it.

fn main() {
    let topic = shared::Topic::new("clicks-avro");
    if let Ok(topic) = topic {
        let _subject = topic.value_subject();
    }
}
