//! Binaries and tests that link libtorch must find it at run time without
//! LD_LIBRARY_PATH: torch-sys reports where libtorch lives (its `links =
//! "tch"` metadata) and this script bakes that directory in as an rpath. It
//! also passes the directory on (our own `links` metadata) so the `rwd`
//! binary's build script can do the same: a link argument applies only to
//! the package that emits it.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        println!("cargo:libtorch_lib={dir}");
    }
}
