# Job runner for parallel stages: one line switches between this machine and Slurm.
cmd="bin/run_local.sh"
# cmd="bin/run_slurm.sh --mem 4G --time 2:00:00"
