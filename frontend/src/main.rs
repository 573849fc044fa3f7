//! Entry point of the browser playground: mounts [`frontend::App`] on the page's body.

#[cfg(target_arch = "wasm32")]
pub mod bench;

#[cfg(target_arch = "wasm32")]
fn main() {
    leptos::mount::mount_to_body(frontend::App);
}

/// The playground only runs in a browser; natively there is nothing to show.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the kafka-demo playground runs in a browser: build it with `trunk build` and open it through `kafka-demo serve`");
    std::process::exit(2);
}
