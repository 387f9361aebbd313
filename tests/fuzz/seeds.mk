# `make fuzz-seeds`: the requests our own frontends send, recorded by
# blkback and netback on the simulator and merged into the checked-in
# corpora where they add coverage (tests/fuzz/seeds.sh).
.PHONY: fuzz-seeds
fuzz-seeds: all build-fuzz/fuzz_blkback_req build-fuzz/fuzz_netback_tx
	sh tests/fuzz/seeds.sh $(BUILD)
