// Differential cases for the Python devalue decoder (tests/test_devalue_differential.py).
//
// Usage: node devalue_cases.mjs COUNT SEED PACKAGE
// PACKAGE is one of the pinned devalue versions in package.json (`devalue5`, `devalue6`:
// npm aliases of devalue 5.9.4 and 6.0.3, whose `uneval` hoists values differently).
// Prints one JSON line per case: {"case", "uneval", "stringify", "canon"}, where uneval and
// stringify are the real devalue (pinned in package.json) output for a seeded random value,
// and canon is that value in a neutral form both sides can build (see canon() below and
// its Python twin). A last line holds one value with more than 65,534 hoisted objects.

const [count, seed] = process.argv.slice(2, 4).map(Number);
const pkg = process.argv[4];
if (!['devalue5', 'devalue6'].includes(pkg)) throw new Error(`unknown devalue package ${pkg}`);
const { stringify, uneval } = await import(pkg);

// mulberry32: a tiny seeded PRNG, so a failing case can be regenerated exactly.
function prng(a) {
	return function () {
		a |= 0;
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
const rand = prng(seed);
const pick = (items) => items[Math.floor(rand() * items.length)];
const int = (n) => Math.floor(rand() * n);

const LONG = 'L'.repeat(130); // >= 128 chars and repeated: devalue hoists it
const STRINGS = [
	'', 'a', 'chute_id', 'org/Model-TEE', '</script><script>', '<!--', '\u2028\u2029',
	'a\u0085b', 'nul\u0000', 'bidi\u202eevil', 'é模型🚀', 'lone \ud800 surrogate', '"quoted\\"',
	"it's", 'line\nbreak\r\ttab', '\b\f\v', 'void 0', 'NaN', '1e21', '__sveltekit_x', LONG,
	'x'.repeat(int(300)),
];
const KEYS = [
	'a', 'b', 'chute_id', 'average_tps', 'date', 'a-b', '1', '0', '10', '', 'x"y', "it's",
	'constructor', 'toString', 'with space', '\u2028', 'é', '$x', '_y', 'class', 'void',
];
const NUMBERS = [
	0, -0, 1, -1, 0.5, -0.25, 55.12, 1e21, 1e-7, 1.5e-10, 2 ** 53, 2 ** 53 + 2, -(2 ** 60),
	5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, 123456789012, 0.1 + 0.2,
];

function number() {
	switch (int(4)) {
		case 0: return pick(NUMBERS);
		case 1: return int(100000) - 50000;
		case 2: return (rand() - 0.5) * 10 ** int(30);
		default: return Math.round(rand() * 1e6) / 100;
	}
}

function primitive() {
	switch (int(8)) {
		case 0: return null;
		case 1: return undefined;
		case 2: return rand() < 0.5;
		case 3: return BigInt(int(1000)) * 10n ** BigInt(int(40)) * (rand() < 0.3 ? -1n : 1n);
		case 4: case 5: return pick(STRINGS);
		default: return number();
	}
}

function boxed() {
	switch (int(4)) {
		case 0: return Object(pick(STRINGS));
		case 1: return Object(number());
		case 2: return Object(rand() < 0.5);
		default: return Object(BigInt(int(1e9)));
	}
}

function date() {
	return rand() < 0.1 ? new Date(NaN) : new Date(Math.floor(rand() * 7e12) - 1e12);
}

// pool: containers made so far in this case, for shared references and cycles.
function value(depth, pool) {
	const r = rand();
	if (pool.length && r < 0.12) return pick(pool);
	if (depth <= 0 || r < 0.4) return primitive();
	switch (int(10)) {
		case 0: case 1: case 2: {
			const obj = rand() < 0.15 ? Object.create(null) : {};
			pool.push(obj);
			for (let n = int(6); n > 0; n--) obj[pick(KEYS)] = value(depth - 1, pool);
			return obj;
		}
		case 3: case 4: {
			const arr = [];
			pool.push(arr);
			for (let n = int(6); n > 0; n--) arr.push(value(depth - 1, pool));
			if (arr.length > 1 && rand() < 0.3) delete arr[int(arr.length)]; // a hole
			return arr;
		}
		case 5: {
			// Sparse: devalue writes these with its sparse encodings (-7, a.length=…).
			const arr = [];
			pool.push(arr);
			arr.length = 1 + int(rand() < 0.5 ? 40 : 3000);
			for (let n = int(4); n > 0; n--) arr[int(arr.length)] = value(depth - 1, pool);
			return arr;
		}
		case 6: {
			const map = new Map();
			pool.push(map);
			for (let n = int(4); n > 0; n--) {
				const key = rand() < 0.5 ? 'k' + pick(KEYS) : int(50);
				map.set(key, value(depth - 1, pool));
			}
			return map;
		}
		case 7: {
			const set = new Set();
			pool.push(set);
			for (let n = int(4); n > 0; n--) set.add(value(depth - 1, pool));
			return set;
		}
		case 8: {
			const box = boxed();
			if (rand() < 0.5) pool.push(box); // a shared boxed primitive
			return box;
		}
		default:
			return date();
	}
}

// The neutral form. Numbers and BigInts as their decimal text (the decoder maps both to
// Python numbers), Object(x) as x, Date as epoch ms (null when invalid), undefined and
// holes as null, Set as a list, Map and objects as [key, value] pairs in order; each
// container gets an id on first sight and is ["ref", id] after, so sharing and cycles
// are compared too.
function canon(v, ids) {
	if (v === null || v === undefined) return null;
	const type = typeof v;
	if (type === 'boolean' || type === 'string') return v;
	if (type === 'number') return ['n', Object.is(v, -0) ? '-0' : String(v)];
	if (type === 'bigint') return ['n', v.toString()];
	if (v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt) {
		return canon(v.valueOf(), ids);
	}
	if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : ['date', v.getTime()];
	if (ids.has(v)) return ['ref', ids.get(v)];
	const id = ids.size;
	ids.set(v, id);
	if (Array.isArray(v)) {
		const items = [];
		for (let i = 0; i < v.length; i++) items.push(i in v ? canon(v[i], ids) : null);
		return ['list', id, items];
	}
	if (v instanceof Set) return ['list', id, [...v].map((x) => canon(x, ids))];
	if (v instanceof Map) return ['dict', id, [...v].map(([k, x]) => [canon(k, ids), canon(x, ids)])];
	return ['dict', id, Object.keys(v).map((k) => [k, canon(v[k], ids)])];
}

function emit(label, v) {
	const line = { case: label, uneval: uneval(v), stringify: stringify(v), canon: canon(v, new Map()) };
	process.stdout.write(JSON.stringify(line) + '\n');
}

for (let n = 0; n < count; n++) emit(`seed ${seed} case ${n}`, value(1 + int(5), []));

// More hoisted values than a function may have parameters: devalue switches to
// `(function(){var[a,…]=arguments[0];…}([…]))`.
const many = [];
for (let i = 0; i < 65600; i++) {
	const row = { i };
	many.push(row, row);
}
emit('65,600 hoisted objects', many);
