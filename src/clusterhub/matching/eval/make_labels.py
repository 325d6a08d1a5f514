"""Write labels.jsonl: the project's labelled queries over the demo dataset.

    python -m clusterhub.matching.eval.make_labels   # rewrites eval/labels.jsonl

The queries below are written the way SMEs write (colloquial, synonyms, typos, symptoms without
the field's name, two problems at once), each aimed at one or two of the demo's case scenarios
(core/demo_text.py, SCENARIOS; ids "<group>-<index>"). The grades are derived from the demo
data alone, never from the ranking:

- cases: 2 = written from a target scenario; 1 = another scenario's case whose fields include
  all of a target scenario's fields;
- experts: 2 = holds one of a target scenario's fields, or solved one of the grade-2 cases;
  1 = works in the same root technology or industry as a target scenario.

The demo data is regenerated with the seed `clusterhub demo-data` uses (2006), so the external
ids (e-0001, c-2004-012) are those of a hub loaded with `make demo`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from clusterhub.core import demo_data, demo_text

REFERENCE = Path(demo_data.__file__).resolve().parent / "reference"
OUT = Path(__file__).resolve().parent / "labels.jsonl"
SEED = 2006

# (id, text, target scenarios, region or None). Tags in comments: syn = synonyms or jargon
# instead of the demo's words, typo, sym = symptom without the field's name, two = two problems.
QUERIES: list[tuple[str, str, list[str], str | None]] = [
    ("q001", "알루미늄 다이캐스트 미션 케이스에 구멍이 많아서 리크 테스트에서 자꾸 떨어집니다", ["casting-0"], "경남"),  # syn sym
    ("q002", "ADC12 다이케스팅 제품 기공 때문에 기밀 불량률이 높아요", ["casting-0"], None),  # typo
    ("q003", "A356 알루미늄 휠 스포크 부분에 X-ray 검사하면 수축 결함이 보입니다", ["casting-1"], "경북"),
    ("q004", "저압 주조 휠 엑스레이 불합격 줄이는 방법 문의", ["casting-1"], None),
    ("q005", "회주철 펌프 케이싱 가공하면 핀홀이 나와서 버리는 게 많아요. 주물사 관리도 제각각입니다", ["casting-2"], "대구"),  # syn
    ("q006", "FCD450 주물 블로우홀 불량 개선", ["casting-2"], None),
    ("q007", "로스트왁스 공법으로 만드는 스텐 임펠러 표면에 쉘 깨짐 자국이 남습니다", ["casting-3"], None),  # syn
    ("q008", "정밀주조품 개재물과 표면 결함 때문에 연마 시간이 너무 많이 듭니다", ["casting-3"], None),
    ("q009", "신규 주물 부품 탕구랑 압탕 위치를 시험 주조 없이 미리 정하고 싶어요 해석 지원 가능한가요", ["casting-4"], None),
    ("q010", "주조 시뮬레이션으로 개발 기간 줄이기", ["casting-4"], "인천"),
    ("q011", "중력 금형주조 실린더 헤드 얇은 리브에 쇳물이 덜 차고 콜드셧이 생겨요", ["casting-5"], None),  # syn
    ("q012", "노트북 커버 사출 금형에서 웰드 자국이 보이고 빼고 나면 휘어요. 게이트 위치 바꿔야 할까요", ["mould-0"], "경기"),  # sym
    ("q013", "PC/ABS 사출품 휨 변형 0.8mm 해결", ["mould-0"], None),
    ("q014", "프레스 금형 펀치가 빨리 닳고 버가 높게 올라옵니다 재연마 주기를 늘리고 싶어요", ["mould-1"], None),
    ("q015", "순차이송금형 클리어런스 조정으로 버 줄이기", ["mould-1"], "경남"),
    ("q016", "다이캐스팅 금형에 2만 숏도 안 돼서 잔금이 생기고 코너가 갈라집니다", ["mould-2"], "인천"),  # sym
    ("q017", "H13 금형강 열피로 크랙 대책", ["mould-2"], None),  # syn
    ("q018", "HDPE 연료탱크 블로우 성형품 모서리가 얇아서 낙하 시험에서 터집니다", ["mould-3"], None),
    ("q019", "금형 설계를 아직 2D 도면으로 하는데 3차원 설계로 바꾸고 표준화하고 싶습니다", ["mould-4"], None),
    ("q020", "열간 단조 크랭크샤프트 플랜지에 겹침 결함이 나와서 자분탐상에서 걸려요", ["plastic_working-0"], "경남"),  # syn
    ("q021", "SCM440 단조품 랩 결함과 금형 수명", ["plastic_working-0"], None),
    ("q022", "볼트를 깎아서 만드는데 재료 손실이 커요. 냉간 압조로 바꾸면 균열이 생깁니다", ["plastic_working-1"], None),  # syn
    ("q023", "DP780 고장력 강판 멤버 성형하면 튀어 돌아와서 치수가 안 맞아요 트라이아웃만 계속", ["plastic_working-2"], "울산"),  # sym
    ("q024", "스프링백 보정 금형 설계", ["plastic_working-2"], None),
    ("q025", "6063 알루미늄 압출 프로파일 표면에 줄무늬가 생기고 아노다이징 하면 더 보여요", ["plastic_working-3"], None),
    ("q026", "분말야금 오일펌프 로터 소결 밀도가 낮고 치수가 들쭉날쭉합니다", ["plastic_working-4"], None),
    ("q027", "스텐 배관 티그 용접한 부분이 누렇게 변하고 녹이 슬어요", ["welding-0"], "울산"),  # syn sym
    ("q028", "SUS316L 용졉부 부식 염수분무 시험 불합격", ["welding-0"], None),  # typo
    ("q029", "굴삭기 붐 CO2 용접 후 뒤틀림이 5mm나 되어서 교정 작업에 시간이 너무 걸립니다", ["welding-1"], "경남"),  # syn
    ("q030", "용접 변형 줄이는 지그 설계", ["welding-1"], None),
    ("q031", "아연도금 강판 스폿 용접 전극팁이 금방 닳아서 너깃이 작게 나옵니다", ["welding-2"], None),  # syn
    ("q032", "배터리 케이스 밀봉을 TIG로 하니 열 때문에 안에 부품이 상해요 레이저로 바꾸고 싶어요", ["welding-3"], None),
    ("q033", "에어컨 열교환기 동-알루미늄 경납땜 부위에서 냉매가 샙니다", ["welding-4"], "광주"),  # syn sym
    ("q034", "알루미늄 압출 패널 MIG 접합부 강도가 약해서 마찰 교반 접합을 검토하고 있습니다", ["welding-5"], None),
    ("q035", "아연-니켈 도금이 굽힘 시험에서 벗겨집니다. 도금액 바꿔도 똑같아요", ["surface_treatment-0"], "인천"),  # sym
    ("q036", "도금층 들뜸 원인 분석 SEM 분석 필요", ["surface_treatment-0"], None),  # syn
    ("q037", "유럽 수출 때문에 6가 크롬을 못 쓰게 돼서 3가로 바꿨는데 내식성이 떨어져요", ["surface_treatment-1"], None),
    ("q038", "알루마이트 처리하면 로트마다 색이 다르고 얼룩이 져서 외관 불량이 많아요", ["surface_treatment-2"], None),  # syn
    ("q039", "절삭 공구 수명이 짧아서 TiAlN 같은 코팅을 해보고 싶은데 외주 납기가 너무 깁니다", ["surface_treatment-3"], None),
    ("q040", "농기계 커버 분체 도장 표면에 기포랑 핀홀이 생기고 크로스컷에서 떨어져요", ["surface_treatment-4"], "전북"),
    ("q041", "기어 침탄 후 내경이 변형돼서 연삭 여유가 없어요", ["heat_treatment-0"], "경남"),
    ("q042", "SCM415 침탄 열쳐리 변형 대책", ["heat_treatment-0"], None),  # typo
    ("q043", "SKD11 펀치 진공 열처리 후 모서리에 미세 크랙, 경도도 규격 미달", ["heat_treatment-1"], None),
    ("q044", "드라이브 샤프트 고주파 담금질 경화 깊이가 들쭉날쭉해서 비틀림 시험에서 떨어집니다", ["heat_treatment-2"], None),
    ("q045", "사출기 스크류가 빨리 마모되고 가스 질화 백층이 벗겨집니다 이온질화로 바꾸려고 합니다", ["heat_treatment-3"], None),
    ("q046", "A356 휠 T6 처리 후 연신율이 규격에 못 미칩니다. 용체화 시간도 너무 길어요", ["heat_treatment-4"], "경북"),
    ("q047", "PA66 GF30 커넥터 두꺼운 보스에 수축 자국이 생기고 끝까지 안 채워지는 게 섞여 나와요", ["injection_press-0"], "경기"),  # sym
    ("q048", "사출 싱크마크 미성형 개선", ["injection_press-0"], None),
    ("q049", "PMMA 도광판 사출하면 흐름 자국이 보이고 편광으로 보면 얼룩이 있습니다", ["injection_press-1"], None),
    ("q050", "모터 케이스 딥드로잉 코너에 크랙이 생겨서 프레스 속도를 못 올립니다", ["injection_press-2"], None),
    ("q051", "자동차 웨더스트립 압출 두께 편차가 커서 조립 불량이 나요", ["injection_press-3"], None),
    ("q052", "철판 커버를 SMC 복합재 압축 성형으로 바꿔 경량화하고 싶은데 표면이 안 좋아요", ["injection_press-4"], None),
    ("q053", "CNC 선반 샤프트 외경이 오후만 되면 치수가 틀어집니다 열변위 같아요", ["precision_machining-0"], "대구"),
    ("q054", "머시닝 가공 치수 산포 줄이기 Cpk 1.33", ["precision_machining-0"], None),
    ("q055", "베어링 내륜 연삭면이 타서 변색되고 조도가 Ra 0.4밖에 안 나옵니다", ["precision_machining-1"], None),  # sym
    ("q056", "와이어컷 가공 후 형상 오차가 크고 코너에 미세 균열이 생겨요", ["precision_machining-2"], None),  # syn
    ("q057", "비구면 렌즈 금형 형상 정밀도를 서브마이크론으로 깎을 수 있는 곳을 찾습니다", ["precision_machining-3"], None),
    ("q058", "FPCB 레이저 절단면 버와 그을음, 홀 테이퍼 문제", ["precision_machining-4"], None),
    ("q059", "바이어 미팅용 신제품 하우징 시작품 5개를 금형 없이 빨리 만들고 싶어요", ["additive_manufacturing-0"], None),  # sym
    ("q060", "티타늄 임플란트를 금속 3D 프린터로 만들어 보고 싶습니다. 장비가 없어요", ["additive_manufacturing-1"], None),
    ("q061", "마모된 단조 금형을 덧살 용접으로 보수하면 균열이 생깁니다. 레이저 클래딩 같은 보수 방법 있나요", ["additive_manufacturing-2"], None),
    ("q062", "3D 프린터를 샀는데 지그 만드는 데 어떻게 활용할지 교육 받고 싶습니다", ["additive_manufacturing-3"], None),
    ("q063", "확산필름 코팅 후 뿌옇게 헤이즈가 높고 폭 방향으로 얼룩이 생깁니다", ["industrial_film-0"], None),
    ("q064", "대전방지 보호필름을 국산화하고 싶은데 표면저항이 들쭉날쭉합니다", ["industrial_film-1"], None),
    ("q065", "점착 테이프 두께가 일정하지 않아서 박리력이 로트마다 다릅니다", ["industrial_film-2"], None),
    ("q066", "골판지 상자가 쌓아두면 찌그러져요 원지를 줄이면서 압축강도를 올리고 싶습니다", ["industrial_film-3"], None),
    ("q067", "다이캐스팅 제품 꺼내는 일을 사람이 하고 있는데 로봇으로 자동화할 수 있을지 검토 부탁드립니다", ["robots-0"], "경남"),
    ("q068", "유리 기판 옮기는 로봇 흡착 패드가 제품을 떨어뜨려요", ["robots-1"], None),
    ("q069", "팔레타이징 로봇이 빠르게 움직일 때 떨리고 과부하 알람으로 자꾸 멈춥니다", ["robots-2"], None),
    ("q070", "다품종 소량이라 펜스 없는 협동 로봇을 써보고 싶은데 안전 기준이 궁금합니다", ["robots-3"], None),
    ("q071", "압력 센서 출력이 온도 따라 틀어져서 규격을 못 맞춥니다", ["sensors-0"], None),
    ("q072", "커넥터 핀 외관 검사를 사람이 눈으로 해서 불량이 유출됩니다 카메라 검사로 바꾸고 싶어요", ["sensors-1"], "경북"),  # syn
    ("q073", "납품할 때 3차원 측정 성적서를 달라는데 측정기가 없습니다", ["sensors-2"], None),
    ("q074", "MEMS 가속도 센서 다이싱하다가 구조물이 깨져서 수율이 낮아요", ["sensors-3"], None),
    ("q075", "적외선 인체감지 센서가 햇빛이나 형광등 아래서 오작동합니다", ["sensors-4"], None),
    ("q076", "발주처랑 도면을 팩스랑 메일로 주고받다 보니 최신 도면이 뭔지 헷갈립니다", ["industrial_software-0"], None),  # sym
    ("q077", "작업일보를 손으로 써서 설비가 왜 서 있는지 모릅니다 생산관리 시스템 도입하고 싶어요", ["industrial_software-1"], None),
    ("q078", "크레인 후크 경량화하려는데 시제품을 만들 때마다 부러집니다 구조 해석 지원해 주세요", ["industrial_software-2"], None),
    ("q079", "5축 머시닝센터를 샀는데 프로그램을 짤 사람이 없어요", ["industrial_software-3"], None),  # sym
    ("q080", "공정 조건 데이터는 쌓이는데 불량 원인을 찾는 데 며칠 걸립니다 데이터로 불량 예측 가능할까요", ["industrial_software-4"], None),
    ("q081", "수입 밸브 바디 도면이 없어서 스캔해서 국산화하고 싶습니다", ["engineering_design-0"], None),  # sym
    ("q082", "전동 휠체어 프레임이 내구시험 5만회에서 금이 갑니다", ["engineering_design-1"], "강원"),
    ("q083", "소형 공기압축기 부품 수가 너무 많아서 조립 시간이 오래 걸립니다 설계 개선 도와주세요", ["engineering_design-2"], None),
    ("q084", "설비를 그때그때 들여놔서 공장 동선이 꼬였습니다 라인 배치를 다시 하고 싶어요", ["engineering_design-3"], None),  # sym
    ("q085", "과제로 개발한 소형 풍력 블레이드를 실제로 만들어 성능을 확인해야 합니다", ["engineering_design-4"], None),
    ("q086", "전동 침대 의료기기 허가 받으려는데 전기안전이랑 EMC 시험을 계속 다시 받고 있어요", ["industry-0"], "강원"),
    ("q087", "수액세트 커넥터 사출품이 알코올 소독 후 미세하게 갈라져서 새요", ["industry-1"], None),  # sym
    ("q088", "광커넥터 페룰 삽입손실이 커서 통신사 규격을 통과 못 합니다", ["industry-2"], "광주"),
    ("q089", "LED 가로등 모듈이 너무 뜨거워져서 밝기가 빨리 떨어집니다", ["industry-3"], None),  # sym
    ("q090", "무연 납땜으로 바꾼 뒤 BGA 부분에 크랙이 생겨 낙하 시험 불량", ["industry-4"], None),
    ("q091", "전원공급장치 전자파 노이즈 시험에서 기준 초과로 CE 인증을 못 받고 있어요", ["industry-5"], None),
    ("q092", "자동차 2차 협력사 등록하려는데 PPAP 서류랑 시험을 못 갖췄습니다", ["industry-6"], "울산"),
    ("q093", "시트 프레임을 마그네슘 다이캐스팅으로 바꾸려는데 발화가 걱정입니다", ["industry-7"], None),
    ("q094", "CNC 선반 주축 진동이 커서 가공면에 떨림 자국이 생기고 시끄럽습니다", ["industry-8"], "경남"),
    ("q095", "유압 프레스가 놀 때도 펌프가 돌아서 전기를 많이 먹습니다 서보 방식으로 바꾸고 싶어요", ["industry-9"], None),
    ("q096", "초경 인서트 원료를 일본에서 수입하는데 국산 분말로 만들면 성능이 떨어집니다", ["industry-10"], None),
    ("q097", "자동차 유리 발수 코팅 접촉각이 낮고 금방 닳아요", ["industry-11"], None),
    ("q098", "냉동만두 포장을 사람이 손으로 해서 HACCP 위생 지적을 받았습니다", ["industry-12"], None),
    ("q099", "배전반 부스바 접합부가 정격전류에서 너무 뜨거워서 온도상승 시험에 떨어집니다", ["industry-13"], None),
    ("q100", "수성 도료 VOC를 낮추면 건조가 늦고 부착력이 떨어져요", ["industry-14"], None),
    ("q101", "금형 공장 재고 관리를 엑셀로 해서 출고 실수가 잦습니다 RFID 적용하고 싶어요", ["industry-15"], None),
    ("q102", "진단키트 측정값 변동계수가 커서 허가 시험 통과가 어렵습니다", ["industry-16"], None),
    ("q103", "A356 휠 주조 후 T6 열처리했더니 수축공 근처에서 연신율이 안 나옵니다", ["casting-1", "heat_treatment-4"], "경북"),  # two
    ("q104", "다이캐스팅 하우징 기공 불량도 있고 아노다이징하면 얼룩이 생깁니다", ["casting-0", "surface_treatment-2"], None),  # two
    ("q105", "SKD61 다이캐스팅 금형 진공 열처리 후 크랙, 히트체크도 빨리 옵니다", ["mould-2", "heat_treatment-1"], "경남"),  # two
    ("q106", "SUS304 배관 티그용접부 녹 문제와 용접 변형 둘 다 잡고 싶어요", ["welding-0", "welding-1"], None),  # two
    ("q107", "사출 금형 웰드라인 문제와 성형품 싱크마크 동시 개선", ["mould-0", "injection_press-0"], None),  # two
    ("q108", "침탄 기어 열처리 변형 후 연삭하면 버닝이 생깁니다", ["heat_treatment-0", "precision_machining-1"], None),  # two
    ("q109", "프레스 브래킷 버가 커서 도금 후 밀착 불량까지 납니다", ["mould-1", "surface_treatment-0"], None),  # two
    ("q110", "비전 검사로 사출 렌즈 흐름자국을 자동으로 걸러내고 싶습니다", ["sensors-1", "injection_press-1"], None),  # two
]


def scenario_patterns() -> dict[str, re.Pattern[str]]:
    """A regex for each scenario's title template (slots match anything)."""
    out = {}
    for group, items in demo_text.SCENARIOS.items():
        for k, item in enumerate(items):
            parts = re.split(r"(\{[^}]*\})", item["title"])
            rx = "".join(".+?" if p.startswith("{") else re.escape(p) for p in parts)
            out[f"{group}-{k}"] = re.compile(f"^{rx}$")
    return out


def scenario_fields() -> dict[str, list[str]]:
    return {f"{g}-{k}": list(item["f"]) for g, items in demo_text.SCENARIOS.items()
            for k, item in enumerate(items)}


def make() -> list[dict[str, Any]]:
    records = list(demo_data.generate(REFERENCE, SEED))
    ref = demo_data.Reference.load(REFERENCE)
    patterns = scenario_patterns()
    sfields = scenario_fields()
    cases = [r for r in records if r["type"] == "case"]
    experts = [r for r in records if r["type"] == "expert"]
    case_scenario: dict[str, str] = {}
    for case in cases:
        found = [sid for sid, rx in patterns.items() if rx.match(case["title"])]
        if len(found) != 1:
            raise SystemExit(f"case {case['id']} matches scenarios {found}: {case['title']}")
        case_scenario[case["id"]] = found[0]
    out = []
    for qid, text, targets, region in QUERIES:
        for t in targets:
            if t not in sfields:
                raise SystemExit(f"{qid}: unknown scenario {t}")
        case_grades: dict[str, int] = {}
        for case in cases:
            sid = case_scenario[case["id"]]
            if sid in targets:
                case_grades[case["id"]] = 2
            elif any(set(sfields[t]) <= set(case["fields"]) for t in targets):
                case_grades[case["id"]] = 1
        solvers = {e for c in cases if case_grades.get(c["id"]) == 2 for e in c["experts"]}
        target_fields = {f for t in targets for f in sfields[t]}
        target_cats = set(ref.categories(sorted(target_fields)))
        expert_grades: dict[str, int] = {}
        for e in experts:
            if set(e["fields"]) & target_fields or e["id"] in solvers:
                expert_grades[e["id"]] = 2
            elif set(ref.categories(e["fields"])) & target_cats:
                expert_grades[e["id"]] = 1
        rec: dict[str, Any] = {"id": qid, "text": text}
        if region:
            rec["region"] = region
        rec["targets"] = targets
        rec["experts"] = dict(sorted(expert_grades.items()))
        rec["cases"] = dict(sorted(case_grades.items()))
        out.append(rec)
    return out


def main() -> None:
    rows = make()
    with OUT.open("w", encoding="utf-8") as fh:
        for rec in rows:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    no_cases = [r["id"] for r in rows if not any(g == 2 for g in r["cases"].values())]
    print(f"wrote {len(rows)} queries to {OUT}; without a grade-2 case: {no_cases}")


if __name__ == "__main__":
    main()
