# awetools: the two quick-start commands (`make demo`, `make test`) and their environment.
# Everything installs into a local virtual environment; only Python >= 3.10 and access
# to the package registries are needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.awetools-installed
PRESET ?= small
NJ ?= 2

.PHONY: demo test env clean-env slurm-deps festival-deps mbrola-deps

env: $(STAMP)

# torch is pinned to the CPU build that pip finds locally; an unpinned torch would pull
# several GB of CUDA packages.  Install it first so the project's dependency is met.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[all]'
	touch $@

# Main job: the full pipeline on the built-in synthetic multilingual corpus.
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash recipes/default/run.sh --preset $(PRESET) --nj $(NJ)

# Test suite (what .ci/run calls).
test: $(STAMP) slurm-deps festival-deps mbrola-deps
	$(BIN)/python -m pytest -q tests

# tests/test_bin.py starts a real single-node Slurm (slurmctld + slurmd, munge) to test
# bin/run_slurm.sh.  Installs Debian's slurm-wlm when it is missing and we are root with
# apt-get; otherwise does nothing (the Slurm tests then skip, or fail when CI is set).
slurm-deps:
	@if ! command -v sbatch >/dev/null 2>&1 || ! PATH="$$PATH:/usr/sbin:/sbin" command -v slurmctld >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing slurm-wlm and munge for the Slurm runner tests" >&2; \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge; } >&2 \
	      || echo "make: warning: could not install slurm-wlm; the Slurm tests cannot run" >&2; \
	  fi; \
	fi

# $(call apt_install,ENGINE,PACKAGES[,STEP]): install the missing Debian PACKAGES when
# root with apt-get (STEP: a shell command run after `apt-get update`); otherwise say what
# to install.  The engine's tests then skip, or fail when CI is set.
define apt_install
	@missing=$$(for p in $(2); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing the $(1) engine's packages:" $$missing >&2; \
	    apt-get update -q >&2; $(3) \
	    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; } >&2 \
	      || echo "make: warning: could not install them; the $(1) engine cannot run" >&2; \
	  else \
	    echo "make: the $(1) engine needs root to install:" $$missing >&2; \
	  fi; \
	fi
endef

# `awe synth --festival-languages` needs Debian's Festival and its non-English voices
# (the PACKAGES of awetools/corpus/festival.py).
FESTIVAL_PACKAGES := $(shell grep -o '"fest[a-z0-9-]*"' awetools/corpus/festival.py | tr -d '"' | sort -u)
festival-deps:
	$(call apt_install,festival,$(FESTIVAL_PACKAGES))

# `awe synth --mbrola-languages` needs MBROLA, its voices and Debian's eSpeak NG (the
# PACKAGES of awetools/corpus/mbrola.py; about 400 MB).  MBROLA is in Debian's contrib and
# its voices in non-free: when apt cannot see them, ENABLE_NONFREE enables those two
# components of the running Debian release (/etc/apt/sources.list.d/awetools-mbrola.sources).
MBROLA_PACKAGES := $(shell grep -o '"mbrola[a-z0-9-]*"\|"libespeak-ng1"\|"espeak-ng-data"' awetools/corpus/mbrola.py | tr -d '"' | sort -u)
define ENABLE_NONFREE
if [ -z "$$(apt-cache madison mbrola)" ] && grep -q '^ID=debian' /etc/os-release; then \
	      echo "make: enabling Debian's contrib and non-free components for MBROLA" >&2; \
	      printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
	        "$$(. /etc/os-release && echo $$VERSION_CODENAME)" > /etc/apt/sources.list.d/awetools-mbrola.sources; \
	      apt-get update -q >&2; \
	    fi;
endef
mbrola-deps:
	$(call apt_install,mbrola,$(MBROLA_PACKAGES),$(ENABLE_NONFREE))

clean-env:
	rm -rf $(VENV)
