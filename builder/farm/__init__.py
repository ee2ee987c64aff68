"""The farm executor: a build matrix spread over libvirt hosts with Dask distributed.

address.py  which scheduler addresses are allowed (loopback, or tls:// with certificates)
protocol.py what travels between client and workers: resource names, a job, its outcome
worker.py   `vmwheel worker`: checks this host, advertises its boxes, runs jobs
job.py      one job on a worker: a group of interpreters of one machine, in one session
client.py   `vmwheel build --scheduler`: submit, watch, fetch and verify, retry, cancel
"""
