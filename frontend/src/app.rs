//! The page's frame: the header with the live status bar, then the five steps of the pipeline
//! in the seed's order. Starts the bridge connection and provides it by context.

use crate::schema::SchemaSection;
use crate::status::StatusBar;
use crate::upcoming::Upcoming;
use crate::ws::Bridge;
use leptos::prelude::*;

/// The whole playground.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Bridge::start());
    view! {
        <header class="top">
            <div class="brand">
                <h1>"kafka-demo"</h1>
                <p class="tagline">"Avro → Schema Registry → Kafka → Spark, one step at a time"</p>
            </div>
            <StatusBar/>
        </header>
        <main>
            <SchemaSection/>
            <Upcoming id="produce" step=2 title="Produce">
                "Generate clicks and produce them to the topic in the Confluent wire format: "
                "a magic byte, the schema id, then the Avro body — exactly what the preview above shows."
            </Upcoming>
            <Upcoming id="consume" step=3 title="Consume">
                "Consume the topic and decode each record in the browser with the writer schema its id "
                "names. Records that are not framed or do not decode are poison pills: shown and counted, never fatal."
            </Upcoming>
            <Upcoming id="batch" step=4 title="Batch">
                "Read the topic as a Spark batch job over Spark Connect: strip the five-byte header "
                "and decode the body with from_avro."
            </Upcoming>
            <Upcoming id="stream" step=5 title="Stream">
                "Read it with Spark Structured Streaming: windowed counts of clicks that update as "
                "records arrive."
            </Upcoming>
        </main>
    }
}
