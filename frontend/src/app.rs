//! The page's frame: the header with the live status bar, then the five steps of the pipeline
//! in the seed's order. Starts the bridge connection and provides it by context. In workshop
//! mode the steps stand behind the join form, and `#instructor=<key>` shows the instructor's
//! desk instead (see [`crate::workshop`]).

use crate::batch::BatchSection;
use crate::consume::ConsumeSection;
use crate::produce::ProduceSection;
use crate::schema::state::SchemaState;
use crate::schema::SchemaSection;
use crate::status::{ConnectionProblem, StatusBar};
use crate::stream::StreamSection;
use crate::workshop::ByRole;
use crate::ws::Bridge;
use leptos::prelude::*;

/// The whole playground.
#[component]
pub fn App() -> impl IntoView {
    provide_context(Bridge::start());
    provide_context(SchemaState::new());
    view! {
        <header class="top">
            <div class="brand">
                <h1>"kafka-demo"</h1>
                <p class="tagline">"Avro → Schema Registry → Kafka → Spark, one step at a time"</p>
            </div>
            <StatusBar/>
        </header>
        <ConnectionProblem/>
        <ByRole>
            <main>
                <SchemaSection/>
                <ProduceSection/>
                <ConsumeSection/>
                <BatchSection/>
                <StreamSection/>
            </main>
        </ByRole>
    }
}
