import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { alertLinkKeys, alertQuery, documentLinkKeys, parseAlerts } from '../../src/rag/alert.ts';
import { RAGAnalyzer } from '../../src/rag/analyzer.ts';
import { Bm25Index } from '../../src/rag/bm25.ts';
import { RagDiagnoser } from '../../src/rag/diagnoser.ts';
import { documentFields, labelConfidence, type RagDocument } from '../../src/rag/document.ts';
import { LabelInference, MIN_CONFIDENCE } from '../../src/rag/infer.ts';
import { readMarkdown } from '../../src/rag/markdown.ts';
import { readRunbook } from '../../src/rag/runbook.ts';
import webhook from '../fixtures/alerts/webhook.json' with { type: 'json' };

const HUGO = `---
title: Alertmanager Cluster Down
weight: 20
aliases: [/runbooks/alertmanager/old-cluster-down]
---

# AlertmanagerClusterDown

## Meaning

Half or more of the Alertmanager instances within the same cluster are down.

## Impact

You have an unstable cluster, if everything goes wrong you will lose the whole cluster.

## Diagnosis

Verify why pods are not running.

\`\`\`shell
kubectl get pod -l app=alertmanager
\`\`\`

## Mitigation

There are no cheap options to mitigate this risk.
`;

const HOST_DOWN = `# HostDown

## Meaning

A host stopped reporting: no telemetry and no heartbeat from it. The machine crashed, lost power
or rebooted, or the agent process on it died.

## Mitigation

Fail over the roles the host held to a standby. Once the host is back, restart the agent.
`;

describe('readMarkdown', () => {
  it('reads YAML and TOML front matter, also below a heading line, and cuts sections at headings', () => {
    const yaml = readMarkdown(HUGO, 'a.md');
    expect(yaml.meta).toMatchObject({ title: 'Alertmanager Cluster Down', weight: 20 });
    expect(yaml.firstHeading).toBe('AlertmanagerClusterDown');
    expect(yaml.sections.map((s) => [s.level, s.heading])).toEqual([
      [1, 'AlertmanagerClusterDown'],
      [2, 'Meaning'],
      [2, 'Impact'],
      [2, 'Diagnosis'],
      [2, 'Mitigation'],
    ]);
    const diagnosis = yaml.sections[3];
    expect(diagnosis.text).toBe('Verify why pods are not running.');
    expect(diagnosis.code).toBe('kubectl get pod -l app=alertmanager');

    const toml = readMarkdown(
      '# A note first\n\n+++\ntitle = "Volume \\"full\\""\naliases = ["/a", \'/b\']\nweight = 3\n+++\nBody',
      'b.md',
    );
    expect(toml.meta).toEqual({ title: 'Volume "full"', aliases: ['/a', '/b'], weight: 3 });
    expect(toml.body).toBe('# A note first\n\nBody');

    const none = readMarkdown(
      'Title line\n==========\n\nSome text with a [link](http://x.example) and `code`.',
    );
    expect(none.meta).toBeUndefined();
    expect(none.sections).toEqual([
      { heading: 'Title line', level: 1, text: 'Some text with a link and code.', code: '' },
    ]);
  });

  it('names the file and the line of front matter it cannot read', () => {
    expect(() => readMarkdown('---\ntitle: [unclosed\n---\n', 'bad.md')).toThrow(/bad\.md: front matter/);
    expect(() => readMarkdown('---\n- a list\n---\n', 'list.md')).toThrow(/list\.md: front matter.*mapping/);
    expect(() => readMarkdown('+++\ntitle = {inline = "table"}\n+++\n', 't.md')).toThrow(
      /t\.md: front matter line 2/,
    );
    expect(() => readMarkdown('+++\ntitle = {inline = "table"}\n+++\n', 't.md')).toThrow(ArgumentError);
  });
});

describe('readRunbook', () => {
  it('reads a runbook as written: id from its path, title from front matter, alert name, links, fields', () => {
    const doc = readRunbook(HUGO, 'alertmanager/AlertmanagerClusterDown.md');
    expect(doc).toMatchObject({
      id: 'alertmanager/AlertmanagerClusterDown.md',
      source: 'runbook',
      title: 'Alertmanager Cluster Down',
      faults: [],
      actions: [],
      severity: 'medium',
      alerts: ['AlertmanagerClusterDown'],
      links: ['alertmanager/AlertmanagerClusterDown.md', '/runbooks/alertmanager/old-cluster-down'],
      inferred: { faults: [], actions: [] },
    });
    const fields = documentFields(doc);
    expect(fields.title).toContain('AlertmanagerClusterDown');
    expect(fields.meaning).toMatch(/^Meaning\nHalf or more/);
    expect(fields.diagnosis).toContain('Verify why pods');
    expect(fields.code).toBe('kubectl get pod -l app=alertmanager');
    expect(fields.faults).toBe('');
  });

  it('takes the first heading, or the first line of plain text, or the file name as the title', () => {
    expect(readRunbook(HOST_DOWN, 'hosts/HostDown.md').title).toBe('HostDown');
    const text = readRunbook(
      'Disk full on the database host\nFree space or grow the volume.\n',
      'notes/disk-full.txt',
    );
    expect(text.title).toBe('Disk full on the database host');
    expect(text.alerts).toEqual([]);
    expect(readRunbook('just words, no heading', 'misc/note-1.md').title).toBe('note-1');
  });

  it("validates our schema strictly, and an ordinary runbook's declared actions and severity", () => {
    expect(() => readRunbook('---\nid: x\nfaults: [node-crash]\n---\n', 'ours.md')).toThrow(
      /ours\.md: severity/,
    );
    const declared = readRunbook('---\nseverity: warning\nactions: [failover]\n---\nbody', 'a/b.md');
    expect(declared.severity).toBe('medium');
    expect(declared.actions).toEqual(['failover']);
    expect(labelConfidence(declared, 'actions', 'failover')).toBe(1);
    expect(() => readRunbook('---\nactions: [fail-over]\n---\nbody', 'a/c.md')).toThrow(
      /a\/c\.md: actions: unknown action "fail-over"/,
    );
    expect(() => readRunbook('body', '')).toThrow(ArgumentError);
  });
});

describe('LabelInference', () => {
  let inference: LabelInference;
  beforeAll(async () => {
    inference = await LabelInference.create();
  });

  it('infers the fault kind and the actions a runbook describes, with confidences from the labelled runbooks', () => {
    const doc = readRunbook(HOST_DOWN, 'hosts/HostDown.md', { inference });
    expect(doc.faults[0]).toBe('node-crash');
    expect(doc.actions).toEqual(expect.arrayContaining(['failover', 'restart-service']));
    for (const label of [...doc.inferred!.faults, ...doc.inferred!.actions]) {
      expect(label.confidence).toBeGreaterThanOrEqual(MIN_CONFIDENCE);
      expect(label.confidence).toBeLessThanOrEqual(1);
    }
    expect(labelConfidence(doc, 'faults', 'node-crash')).toBe(doc.inferred!.faults[0].confidence);
    // The cue table's confidence is the precision measured on the labelled runbooks.
    expect(inference.actionConfidence.get('failover')).toBeGreaterThan(0.5);
  });

  it('infers nothing for a runbook about no fault kind of the domain', () => {
    const watchdog = readRunbook(
      '# Watchdog\n\n## Meaning\n\nThis alert is always firing, to show that the alerting pipeline works.\n',
      'general/Watchdog.md',
      { inference },
    );
    expect(watchdog.faults).toEqual([]);
    expect(watchdog.actions).toEqual([]);
  });

  it('learns from the labelled runbooks it is given, and refuses too few or inferred ones', async () => {
    const labelled = (id: string, faults: string[], title: string): RagDocument => ({
      id,
      source: 'runbook',
      title,
      faults,
      severity: 'high',
      symptoms: [title],
      metrics: [],
      actions: ['failover'],
      body: '',
    });
    const tiny = await LabelInference.create({
      labelled: [
        labelled('a', ['disk-full'], 'disk is full, no space left on the volume'),
        labelled('b', ['disk-full'], 'volume out of space, writes fail'),
        labelled('c', ['dns-failure'], 'name resolution fails, resolver times out'),
        labelled('d', ['dns-failure'], 'dns lookups fail with servfail'),
      ],
    });
    const doc = readRunbook('# Volume full\n\nThe data volume has no space left.', 'v.md', {
      inference: tiny,
    });
    expect(doc.faults).toEqual(['disk-full']);
    await expect(LabelInference.create({ labelled: [labelled('a', ['ddos'], 'x')] })).rejects.toThrow(
      /options\.labelled/,
    );
    await expect(LabelInference.create({ labelled: [doc, doc] })).rejects.toThrow(/inferred labels/);
  });
});

describe('Alertmanager alerts', () => {
  it('reads a webhook payload, a list of alerts or one alert, and names a bad field', () => {
    const alerts = parseAlerts(webhook, 'webhook.json');
    expect(alerts.map((a) => a.labels.alertname)).toEqual(['NodeFilesystemSpaceFillingUp', 'HostDown']);
    expect(parseAlerts([{ labels: { alertname: 'A' } }])).toHaveLength(1);
    expect(parseAlerts({ labels: { alertname: 'B' }, annotations: { summary: 's' } })).toHaveLength(1);
    expect(() => parseAlerts({ alerts: [{ labels: { alertname: 3 } }] }, 'x.json')).toThrow(
      /x\.json: alerts\[0\]\.labels/,
    );
    expect(() => parseAlerts({ alerts: [] }, 'x.json')).toThrow(/holds no alert/);
    expect(() => parseAlerts('firing', 'x.json')).toThrow(ArgumentError);
  });

  it('asks with its name, affected job and annotations, and links by runbook URL tail or alert name', () => {
    const [disk, host] = parseAlerts(webhook);
    expect(alertQuery(disk)).toMatch(/^NodeFilesystemSpaceFillingUp\. node-exporter\. Filesystem on/);
    expect(alertQuery(disk)).not.toMatch(/https?:/);
    expect(alertLinkKeys(disk).map((k) => k.key)).toEqual([
      'url:runbooks/node/nodefilesystemspacefillingup',
      'url:node/nodefilesystemspacefillingup',
      'url:nodefilesystemspacefillingup',
      'alert:nodefilesystemspacefillingup',
    ]);
    expect(alertLinkKeys(host)).toEqual([{ key: 'alert:hostdown', by: 'alertname' }]);
    const doc = readRunbook(HUGO, 'alertmanager/AlertmanagerClusterDown.md');
    expect(documentLinkKeys(doc)).toEqual([
      'url:alertmanager/alertmanagerclusterdown',
      'url:alertmanagerclusterdown',
      'url:runbooks/alertmanager/old-cluster-down',
      'url:alertmanager/old-cluster-down',
      'url:old-cluster-down',
      'alert:alertmanagerclusterdown',
    ]);
  });

  it('goes straight to the linked runbook, ahead of whatever else matches', async () => {
    const analyzer = await RAGAnalyzer.create({
      runbooks: [
        readRunbook(HUGO, 'alertmanager/AlertmanagerClusterDown.md'),
        readRunbook(HOST_DOWN, 'hosts/HostDown.md'),
      ],
    });
    const byUrl = await analyzer.retrieveForAlert({
      labels: { alertname: 'SomethingElse' },
      annotations: {
        summary: 'disk is full on the database host',
        runbook_url: 'https://runbooks.example.org/runbooks/alertmanager/old-cluster-down/',
      },
    });
    expect(byUrl.hits[0].document.id).toBe('alertmanager/AlertmanagerClusterDown.md');
    expect(byUrl.hits[0].linkedBy).toBe('runbook_url');
    expect(byUrl.hits[0].score).toBe(1);
    expect(byUrl.hits[1].document.faults).toContain('disk-full');

    const byName = await analyzer.retrieveForAlert({ labels: { alertname: 'hostdown' } }, { k: 2 });
    expect(byName.hits.map((h) => [h.document.id, h.linkedBy])).toEqual([
      ['hosts/HostDown.md', 'alertname'],
      [byName.hits[1].document.id, undefined],
    ]);
    const unlinked = await analyzer.retrieveForAlert({ labels: { alertname: 'NoSuchAlert' } });
    expect(unlinked.hits.every((h) => h.linkedBy === undefined)).toBe(true);
    // Filters apply to the linked runbook too.
    const filtered = await analyzer.retrieveForAlert(
      { labels: { alertname: 'HostDown' } },
      { filter: { faults: ['disk-full'] } },
    );
    expect(filtered.hits.map((h) => h.document.id)).not.toContain('hosts/HostDown.md');
  });
});

describe('BM25F fields', () => {
  it('weighs a field by its weight, and with every weight 1 scores as the concatenated text', () => {
    const weighted = new Bm25Index<{ id: string }>({ fieldWeights: { title: 4 } });
    const flat = new Bm25Index<{ id: string }>();
    const single = new Bm25Index<{ id: string }>();
    const docs: [string, Record<string, string>][] = [
      ['in-title', { title: 'disk full', body: 'rotate the logs and grow the volume' }],
      ['in-body', { title: 'storage alert', body: 'disk full disk full on one host' }],
      ['other', { title: 'dns', body: 'resolver down' }],
    ];
    for (const [id, fields] of docs) {
      weighted.upsert({ id }, fields);
      flat.upsert({ id }, fields);
      single.upsert({ id }, Object.values(fields).join('\n'));
    }
    expect(weighted.search('disk full', 3)[0].id).toBe('in-title');
    expect(flat.search('disk full', 3)[0].id).toBe('in-body');
    expect(flat.search('disk full', 3)).toEqual(single.search('disk full', 3));
    expect(() => new Bm25Index({ fieldWeights: { title: -1 } })).toThrow(/options\.fieldWeights\.title/);
  });
});

describe('inferred labels in a diagnosis', () => {
  it('vote with their confidence times what a declared label would', async () => {
    const runbook = (id: string, title: string, fault: string, confidence?: number): RagDocument => ({
      id,
      source: 'runbook',
      title,
      faults: [fault],
      severity: 'high',
      symptoms: [],
      metrics: [],
      actions: ['failover'],
      body: '',
      ...(confidence === undefined
        ? {}
        : {
            inferred: { faults: [{ name: fault, confidence }], actions: [{ name: 'failover', confidence }] },
          }),
    });
    const analyzer = await RAGAnalyzer.create({
      shippedRunbooks: false,
      runbooks: [
        runbook('declared', 'printer on fire in rack four', 'node-crash'),
        runbook('inferred', 'printer on fire', 'disk-full', 0.6),
      ],
    });
    const d = await analyzer.augmentAnalysis({ id: 'i', summary: 'printer on fire in rack four' });
    expect(d.runbooks.map((r) => r.id)).toEqual(['declared', 'inferred']);
    const score = (f: string) => d.likelyFaults.find((x) => x.fault === f)!.score;
    // Rank 1 gives 1, rank 2 gives 1/4, scaled by the inferred confidence.
    expect(score('node-crash') / score('disk-full')).toBeCloseTo(1 / (0.6 / 4), 9);
    expect(d.runbooks[1].confidence).toEqual({ faults: [0.6], actions: [0.6] });
    expect(d.runbooks[0].confidence).toEqual({ faults: [1], actions: [1] });
  });
});

describe("the loop's diagnoser with an operator's runbooks", () => {
  it('cites them beside the shipped ones and recommends their actions', async () => {
    const inference = await LabelInference.create();
    const hostDown = readRunbook(HOST_DOWN, 'hosts/HostDown.md', { inference });
    const diagnoser = await RagDiagnoser.create({
      kinds: ['node-crash', 'memory-leak'],
      runbooks: [hostDown],
    });
    const answer = await diagnoser.diagnose(
      { id: 'inc-1' },
      { description: 'node stopped reporting telemetry, no heartbeat, unreachable host down, box crashed' },
    );
    expect(answer.kind).toBe('node-crash');
    expect(answer.citations.slice(0, 3)).toContain('hosts/HostDown.md');
    // Every action of a node-crash runbook is supported; the runbook's own are among them, and
    // the planner (src/plan) scores only those its executor knows.
    const actions = answer.recommended.map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining([...hostDown.actions]));
  });

  it("weighs an inferred runbook's recommendations by the confidence of its kind and of each action", async () => {
    const doc: RagDocument = {
      ...readRunbook(HOST_DOWN, 'hosts/HostDown.md'),
      faults: ['node-crash'],
      actions: ['failover', 'restart-service'],
      inferred: {
        faults: [{ name: 'node-crash', confidence: 0.8 }],
        actions: [
          { name: 'failover', confidence: 0.9 },
          { name: 'restart-service', confidence: 0.45 },
        ],
      },
    };
    const diagnoser = await RagDiagnoser.create({ shippedRunbooks: false, runbooks: [doc], k: 1 });
    const answer = await diagnoser.diagnose(
      { id: 'inc-2' },
      { description: 'host stopped reporting, no heartbeat' },
    );
    // failover: 0.8 x 0.9 / 1; restart-service: 0.8 x 0.45 / 2 (second in the list): a quarter.
    expect(answer.recommended).toEqual([
      { action: 'failover', support: 1 },
      { action: 'restart-service', support: expect.closeTo(0.25, 9) },
    ]);
  });
});
