"""Korean vocabulary shared by the benchmark's dataset generator, request loader and page bench.

Plain data, no Django: `make_dataset.py` runs without settings.
"""

from __future__ import annotations

# Keywords by technology field (second level of the taxonomy in core/reference/fields.jsonl).
FIELD_KEYWORDS: dict[str, list[str]] = {
    "casting": ["다이캐스팅", "기공", "수축공", "탕구", "알루미늄", "주물", "용탕", "저압주조",
                "사형", "ADC12"],
    "mould": ["금형", "사출금형", "프레스금형", "금형설계", "냉각채널", "핫러너", "캐비티",
              "금형수명"],
    "plastic_working": ["단조", "압연", "압출", "인발", "판재성형", "스프링백", "냉간단조"],
    "welding": ["용접", "TIG", "레이저용접", "브레이징", "스팟용접", "용접변형", "비드"],
    "surface_treatment": ["도금", "아연도금", "도장", "양극산화", "박막", "부식", "밀착력"],
    "heat_treatment": ["열처리", "침탄", "질화", "담금질", "템퍼링", "경도", "잔류응력"],
    "injection_press": ["사출", "웰드라인", "휨", "버", "프레스", "블로우", "성형불량"],
    "precision_machining": ["절삭", "연삭", "방전가공", "초정밀", "공구마모", "치수정도", "CNC"],
    "additive_manufacturing": ["3D프린팅", "금속분말", "적층", "후처리", "시제품"],
    "industrial_film": ["필름", "코팅", "광학필름", "점착", "지류"],
    "robots": ["로봇", "협동로봇", "자동화", "그리퍼", "티칭", "모션제어"],
    "sensors": ["센서", "MEMS", "계측", "비전검사", "압력센서", "교정"],
    "industrial_software": ["CAE", "해석", "MES", "스마트공장", "데이터분석", "PLM", "인공지능"],
    "engineering_design": ["설계", "역설계", "신뢰성", "공정설계", "원가절감"],
    "electronics": ["전자부품", "PCB", "반도체", "디스플레이"],
    "photonics": ["광부품", "LED", "레이저", "광통신"],
    "automotive_parts": ["자동차부품", "하우징", "브래킷", "전기차"],
    "machinery": ["공작기계", "유압", "감속기", "메카트로닉스"],
    "parts_materials": ["소재", "복합재", "분말", "세라믹"],
    "medical_devices": ["의료기기", "재활", "임플란트"],
    "food": ["식품가공", "포장", "살균"],
    "electrical": ["전력기기", "변압기", "모터"],
    "chemistry": ["화학소재", "접착제", "고분자"],
    "ict": ["소프트웨어", "통신모듈", "사물인터넷"],
    "bio": ["바이오", "발효", "진단키트"],
    "nano": ["나노소재", "나노코팅"],
}

# Firm names: an optional legal prefix, a house name and a trade word.
HOUSE = ["대성", "한길", "신라", "동양", "삼화", "세원", "우진", "태광", "한빛", "성진", "대한",
         "금강", "영신", "동아", "한성", "진영", "서진", "미래", "새한", "삼보", "경원", "일진",
         "정우", "동일", "대원", "화신", "유진", "남양", "청우", "보성", "신흥", "광명", "해성",
         "창신", "효성", "우성", "제일", "국제", "한양", "중앙"]
HOUSE_EN = ["Daesung", "Hangil", "Silla", "Dongyang", "Samhwa", "Sewon", "Woojin", "Taekwang",
            "Hanbit", "Sungjin", "Daehan", "Geumgang", "Youngshin", "Donga", "Hansung", "Jinyoung",
            "Seojin", "Mirae", "Saehan", "Sambo", "Kyungwon", "Iljin", "Jungwoo", "Dongil",
            "Daewon", "Hwashin", "Yujin", "Namyang", "Cheongwoo", "Bosung", "Shinheung",
            "Kwangmyung", "Haesung", "Changshin", "Hyosung", "Woosung", "Jeil", "Kukje", "Hanyang",
            "Jungang"]
TRADE = ["정밀", "금형", "주조", "테크", "산업", "기계", "소재", "전자", "엔지니어링", "시스템",
         "메탈", "화학", "오토텍", "하이텍", "공업", "단조", "열처리", "도금"]
TRADE_EN = ["Precision", "Mould", "Casting", "Tech", "Industry", "Machinery", "Materials",
            "Electronics", "Engineering", "Systems", "Metal", "Chemical", "Autotech", "Hitech",
            "Industrial", "Forging", "Heat Treatment", "Plating"]
PREFIX = ["(주)", "㈜", "", "", "", ""]

SURNAMES = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권",
            "황", "안", "송", "류", "홍"]
GIVEN = ["민준", "서연", "도윤", "지우", "현우", "수빈", "지훈", "예진", "성민", "영호", "정희",
         "철수", "영수", "미경", "상훈", "동현", "재원", "혜진", "준호", "은지", "태식", "경민",
         "승우", "유나", "진호", "광수", "명숙", "병철", "희정", "용준"]
TITLES = ["수석연구원", "책임연구원", "선임연구원", "교수", "부교수", "센터장", "팀장", "기술위원",
          "전문위원", "연구위원"]

DEFECTS = ["불량", "균열", "변형", "치수 편차", "수율 저하", "박리", "마모", "소음", "누설",
           "원가 상승"]
ACTIONS = ["공정 조건 최적화", "금형 온도 조정", "해석 기반 설계 변경", "소재 변경", "검사 공정 도입",
           "작업 표준 개정", "설비 보정", "후처리 추가"]
SUPPORT_TYPES = ["guidance", "joint_rnd", "contract_research", "tech_transfer", "testing",
                 "prototype", "equipment", "training", "consulting"]

# Relative share of firms per region code (industrial regions weigh more).
REGION_WEIGHTS: dict[str, int] = {
    "11": 8, "26": 6, "27": 5, "28": 6, "29": 3, "30": 3, "31": 4, "36": 1, "41": 22, "51": 2,
    "43": 5, "44": 6, "52": 3, "46": 3, "47": 8, "48": 12, "50": 1,
}


def all_keywords() -> list[str]:
    seen: dict[str, None] = {}
    for words in FIELD_KEYWORDS.values():
        seen.update(dict.fromkeys(words))
    return list(seen)
