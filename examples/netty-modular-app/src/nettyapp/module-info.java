/** A small application over segpool-netty on the module path: run by .ci/modular.sh. */
module nettyapp {
    requires io.segpool.netty;
}
