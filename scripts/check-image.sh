#!/usr/bin/env bash
# Builds the container image up to its smoke stage with podman, on a Debian machine that cannot
# pull from Docker Hub: the Python base is made locally with debootstrap (bookworm's python3 is
# 3.11) and handed to the Dockerfile as PYTHON_IMAGE. The smoke stage runs the CLI, the
# migrations and `serve` until /healthz answers, so a finished build is the proof; running the
# image itself is not needed (and fails on machines where crun cannot set rlimits).
#
# Usage: scripts/check-image.sh            (re-uses the base image once it exists)
#        REBUILD_BASE=1 scripts/check-image.sh
# Settings (environment): BASE_TAG, IMAGE_TAG, TARGET (default smoke), SUITE, MIRROR,
#        CA_BUNDLE (default: pip's cert from `pip config list`, else the system bundle),
#        PIP_INDEX_URL (passed to the build when set), WORK_DIR (debootstrap scratch space).
set -euo pipefail

cd "$(dirname "$0")/.."

BASE_TAG=${BASE_TAG:-localhost/groundline-python-base:bookworm}
IMAGE_TAG=${IMAGE_TAG:-localhost/groundline:smoke}
TARGET=${TARGET:-smoke}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
WORK_DIR=${WORK_DIR:-/var/tmp/groundline-image}

say() { printf '==> %s\n' "$*"; }

need_tools() {
    local missing=()
    command -v podman > /dev/null || missing+=(podman)
    command -v debootstrap > /dev/null || missing+=(debootstrap)
    if ((${#missing[@]})); then
        say "installing ${missing[*]} (needs root and Debian's package mirror)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

ca_bundle() {
    if [[ -n ${CA_BUNDLE:-} ]]; then
        echo "$CA_BUNDLE"
        return
    fi
    # pip's own setting wins: it is what already works for installs on this machine.
    local from_pip
    from_pip=$(python3 -m pip config list 2> /dev/null | sed -n "s/^[^=]*\.cert='\(.*\)'$/\1/p" | head -n 1)
    echo "${from_pip:-/etc/ssl/certs/ca-certificates.crt}"
}

make_base() {
    if [[ -z ${REBUILD_BASE:-} ]] && podman image exists "$BASE_TAG"; then
        say "base image $BASE_TAG already exists (REBUILD_BASE=1 to make it again)"
        return
    fi
    local rootfs=$WORK_DIR/rootfs
    say "debootstrap $SUITE into $rootfs"
    rm -rf "$rootfs"
    mkdir -p "$rootfs"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
        "$SUITE" "$rootfs" "$MIRROR"
    # The image needs no package lists or downloaded .debs; they only add weight.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
    "$rootfs"/usr/bin/python3 --version
    say "importing it as $BASE_TAG"
    tar -C "$rootfs" --numeric-owner -c . | podman import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/bash"]' - "$BASE_TAG"
    rm -rf "$rootfs"
}

build_image() {
    local bundle
    bundle=$(ca_bundle)
    [[ -r $bundle ]] || {
        echo "CA bundle $bundle is not readable; set CA_BUNDLE" >&2
        exit 1
    }
    local args=(
        --isolation chroot
        --network host
        # The docker format keeps HEALTHCHECK (the OCI format drops it).
        --format docker
        --build-arg "PYTHON_IMAGE=$BASE_TAG"
        --build-arg "PYTHON=python3"
        --volume "$bundle:$bundle:ro"
        --build-arg "PIP_CERT=$bundle"
        --target "$TARGET"
        --tag "$IMAGE_TAG"
    )
    if [[ -n ${PIP_INDEX_URL:-} ]]; then
        args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
    fi
    say "podman build ${args[*]} ."
    podman build "${args[@]}" .
}

start=$SECONDS
need_tools
podman --version
make_base
build_image
say "built $IMAGE_TAG (target $TARGET) in $((SECONDS - start)) s"
podman image inspect --format '{{.Config.User}} {{.Config.Entrypoint}} {{.Config.Cmd}} {{.Config.ExposedPorts}}' "$IMAGE_TAG"
