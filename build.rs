//! With the `runtime` feature the `rwd` binary links libtorch; bake its
//! directory in as an rpath (passed on by rwd-runtime's build script) so the
//! binary runs without LD_LIBRARY_PATH. Without the feature there is nothing
//! to do: the compiler needs no native libraries.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_RWD_RUNTIME_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_RWD_RUNTIME_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
