/**
 * A small operations thesaurus: each concept lists words operators use for the same thing
 * ("oom", "rss", "swap" -> memory). Every word that belongs to a concept is followed by a
 * `#concept` tag ({@link expandConcepts}), a feature for the hashed embedder and a term for
 * BM25, so a query and a runbook that describe one problem in different words still meet.
 * Written as general domain vocabulary (not from the evaluation queries), shipped as data, and
 * replaceable through `HashedEmbedderOptions` and `RetrieverOptions.thesaurus`.
 * Words that are common outside their concept ("full", "log", "slow", "push") are left out:
 * they tagged unrelated text with the concept more often than they bridged a paraphrase.
 */
import { ArgumentError } from '../errors.ts';
import { tokenize } from './text.ts';

/** Concept name -> words (any inflection; they are stemmed like the text). */
export const OPS_THESAURUS: Readonly<Record<string, string>> = {
  down:
    'crash crashed died dead dies down dark silent vanished gone offline unreachable exited exit ' +
    'segfault panic killed reboot rebooted heartbeat outage unresponsive',
  restart: 'restart restarted restarts respawn crashloop crashloopbackoff loop supervisor systemd',
  memory:
    'memory ram rss heap oom leak leaking swap swapping paging kswapd evicted resident ' +
    'allocation allocator',
  cpu:
    'cpu cpus processor processors core cores load pegged spinning maxed utilisation ' +
    'utilization throttled throttling cgroup',
  disk: 'disk disks storage volume filesystem inode inodes space quota',
  dns:
    'dns resolver resolvers nameserver nameservers lookup lookups resolve resolution ' +
    'getaddrinfo servfail nxdomain hostname record records zone',
  cert:
    'certificate certificates cert certs tls ssl https handshake expired expiry expire ' +
    'renewal renew letsencrypt acme issuer intermediate ca mtls chain x509',
  time:
    'clock clocks ntp chrony skew drift drifted ahead behind timestamp timestamps ' + 'future lease leases',
  mtu:
    'mtu mss fragmentation fragment fragmented frame frames jumbo giants oversize ' +
    'tunnel vpn overlay vxlan wireguard ipsec encapsulation',
  loop:
    'loop loops looping traceroute ttl bounce bouncing circle circling infinity ' +
    'hops hop redistribution static',
  threads:
    'thread threads pool pools executor executors worker workers blocked deadlock lock ' +
    'locks waiting parked rejectedexecution tomcat frozen hang hangs',
  gc: 'gc garbage collector collection collections jvm pause pauses xmx heap ' + 'generation freeze freezes',
  connection:
    'connection connections socket sockets fd fds descriptor descriptors ' +
    'ephemeral port ports pool clients hikari ulimit',
  timeout:
    'timeout timeouts timed hang hung 504 gateway upstream downstream ' +
    'backend dependency vendor provider api external',
  attack:
    'ddos dos flood flooding botnet bots attack attacker malicious syn spoofed ' +
    'amplification reflection abuse stuffing scrubbing',
  congestion:
    'congestion congested queue queues queueing buffer buffers backlog peak rush ' +
    'surge spike saturated saturation bottleneck busy overload overloaded demand',
  link:
    'link links signal rssi snr radio wireless wifi antenna modulation interference ' +
    'backhaul trunk cable uplink hop fiber attenuation',
  flap:
    'flap flapping flaps toggling unstable intermittent churn reconverge reconverging ' +
    'bouncing adjacency sporadic',
  partition: 'partition partitioned split quorum isolated island majority ' + 'minority reachability',
  config:
    'config configuration configured setting settings yaml deploy deployed ' +
    'rollout change changed flag version typo misconfigured',
  misbehave:
    'blackhole corrupt corrupted corruption garbled checksum checksums ' +
    'byzantine lying rogue compromised bogus',
  loss:
    'loss lost drop drops dropped dropping disappear disappearing resend retransmit ' +
    'retransmits retransmission choppy',
  capacity: 'scale replicas instances autoscaler capacity idle cost provisioned',
  notify:
    'notification notifications notify notified page paged paging pager pagerduty opsgenie ' +
    'slack email webhook receiver receivers',
  raid: 'raid mdadm mdstat mirror mirrored array arrays',
  upgrade: 'version versions upgrade upgraded upgrading downgrade downgraded release releases rollout',
  schedule: 'schedule scheduled scheduling unschedulable scheduler pending taint taints toleration affinity',
  probe: 'readiness liveness probe probes ready notready',
  overcommit: 'overcommit overcommitted oversubscribe oversubscribed overallocated overbooked',
  nic: 'interface interfaces nic ethernet eth bond carrier',
};

/** Stemmed word -> concept tags ("#memory"), built from a thesaurus. */
export type ConceptMap = ReadonlyMap<string, readonly string[]>;

/**
 * Builds the lookup the embedder uses; words are normalised with the same tokenizer. Entries
 * must be single words ("time_wait" would become the generic "time" and "wait"): others throw.
 */
export function buildConceptMap(thesaurus: Readonly<Record<string, string>> = OPS_THESAURUS): ConceptMap {
  if (typeof thesaurus !== 'object' || thesaurus === null)
    throw new ArgumentError('thesaurus', 'expected { concept: "word word ..." }');
  const map = new Map<string, string[]>();
  for (const [concept, words] of Object.entries(thesaurus)) {
    if (typeof words !== 'string')
      throw new ArgumentError(`thesaurus.${concept}`, 'expected a space-separated word list');
    for (const entry of words.split(/\s+/).filter(Boolean)) {
      if (tokenize(entry).length > 1)
        throw new ArgumentError(`thesaurus.${concept}`, `"${entry}" is not a single word`);
    }
    for (const word of tokenize(words)) {
      const tags = map.get(word) ?? [];
      if (!tags.includes(`#${concept}`)) tags.push(`#${concept}`);
      map.set(word, tags);
    }
  }
  return map;
}

/**
 * Follows every token that belongs to a concept with its tags ("oom" -> "oom", "#memory"), so
 * texts that name one problem in different words share terms. Both rankers use it: the
 * embedder hashes the tags as features, BM25 indexes them as terms (query expansion with a
 * controlled vocabulary, weighted by the tags' own IDF).
 */
export function expandConcepts(tokens: readonly string[], concepts: ConceptMap): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    out.push(token);
    const tags = concepts.get(token);
    if (tags) out.push(...tags);
  }
  return out;
}

/**
 * How remediation prose says each action: phrases (comma-separated, matched on stemmed words in
 * order, stop words included, so "fail over" is not "fail") that name the action. Written as
 * general operations vocabulary; how far each phrase can be trusted is measured on the labelled
 * runbooks (see `LabelInference`), not assumed.
 */
export const ACTION_CUES: Readonly<Record<string, string>> = {
  reroute:
    'reroute, rerouting, route around, route traffic, detour, divert traffic, shift traffic, ' +
    'move traffic, steer traffic, drain traffic, traffic away',
  'restart-service':
    'restart, restarted, restarting, reload the service, reload services, bounce the, respawn, ' +
    'delete the pod, delete pod, kill the process, recreate the pod, rolling restart',
  'clear-cache':
    'clear the cache, clear cache, flush the cache, purge the cache, invalidate the cache, drop caches',
  'scale-up':
    'scale up, scale out, add replicas, more replicas, add instances, more instances, add capacity, ' +
    'add nodes, increase the number of replicas, increase resources, increase the limit, ' +
    'raise the limit, larger instance, bigger instance, more cpu, more memory',
  'scale-down': 'scale down, scale in, remove replicas, fewer replicas, reduce replicas, remove instances',
  'quarantine-node':
    'quarantine, cordon, isolate the node, isolate it, fence the node, take the node out, ' +
    'out of rotation, drain the node, taint the node',
  failover:
    'fail over, failover, failing over, standby, switch over, promote a replica, promote the replica, secondary',
  'rate-limit':
    'rate limit, rate-limit, rate limits, throttle clients, shed load, load shedding, block the abusive',
  'rollback-config':
    'roll back, rollback, rolled back, revert, undo the change, previous version, last known good, downgrade',
  'renew-certificate':
    'renew, renewal, reissue, rotate the certificate, rotate certificates, new certificate, approve the csr, approve csr',
  'resync-clock':
    'ntp, chrony, chronyd, timesyncd, sync the clock, synchronise the clock, synchronize the clock, resync',
  'flush-dns': 'flush dns, flush the dns, dns cache, resolver cache, flush resolver',
  'expand-disk':
    'expand the volume, expand it, resize the volume, resize the pvc, grow the volume, ' +
    'free space, free up space, free or expand, delete old, clean up old, more disk, larger disk, ' +
    'add storage, increase the volume',
  'fix-mtu': 'mtu, mss, jumbo frames',
};
