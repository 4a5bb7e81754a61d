//! The demo park's service desk (`shared/domain.md` §4.3–§4.4): the three support lines, the
//! SLA policy and the 2026 calendar (version 1 each), and 90 days of ticket history ending at
//! `now`: 120 incidents (致命 2, 严重 18, 一般 70, 轻微 30) and 4 suggestions, the ten incident
//! scenarios among them. Most are closed and rated; a handful are open in every state, so the
//! queue is alive; some breached their targets and escalated.
//!
//! The history is computed by a pure function from a fixed seed (the same tickets for the same
//! `now`), each ticket with its whole timeline, pauses and SLA flags as the desk itself would
//! have recorded them, then written through the desk's ports with past timestamps and one
//! audit record per created object. Open tickets are placed so that no SLA threshold falls
//! within the next 45 minutes: the SLA watcher finds nothing to do right after the load.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveTime, Timelike};
use parkops_domain::audit::Outcome;
use parkops_domain::calendar::{WorkingCalendar, YearSchedule};
use parkops_domain::id::{OrgId, ParkId, UserId};
use parkops_domain::sla::{ClockState, Coverage, Pause, SlaClock, SlaPolicy};
use parkops_domain::ticket::{
    self, BusinessDomain, HandlingMode, Level, SupportLine, TicketAction, TicketKind, TicketState, WaitingOn,
};
use parkops_domain::time::Timestamp;
use serde_json::{Value, json};

use crate::demo::DEMO_PARK_CODE;
use crate::desk::DeskConfig;
use crate::ports::desk::{CalendarRecord, SupportLineRecord, TicketEvent, TicketFilter, TicketRecord};
use crate::ports::{OrgFilter, PageRequest, UserFilter, UserRecord};
use crate::{App, AppError, Caller};

/// The titles of the ten incident scenarios of `shared/domain.md` §4.4, in its order.
pub const SCENARIO_TITLES: [&str; 10] = [
    "报警链路中断：MQTT 集群脑裂（虚拟化主机重启后）",
    "二级重大危险源企业网关离线 3 小时：4G 物联网卡欠费停机",
    "CEMS SO₂ 数据无效 20 小时：抽取式分析仪零点漂移",
    "储罐区 H₂S 探测器数值冻结 0.0 达 36 小时，检定逾期 40 天",
    "NVR 磁盘阵列故障：38 路摄像机录像中断 14 小时",
    "2 号卡口大雾车牌识别错误，危化品车辆无法匹配电子运单",
    "时序数据库卷写满：写入失败，大屏数据停滞",
    "IDS 告警：企业网段向园区 DMZ 发起 SMB 扫描",
    "数采仪时钟快 9 分钟：小时数据包被上级平台拒收",
    "告警风暴：电压暂降后 10 分钟 600 条告警，钉钉机器人被限流",
];

/// How many demo tickets of each level are generated.
pub const LEVEL_COUNTS: [(Level, usize); 5] =
    [(Level::Fatal, 2), (Level::Severe, 18), (Level::General, 70), (Level::Minor, 30), (Level::Suggestion, 4)];

/// Open tickets cross no SLA threshold within this time after the load.
const QUIET: i64 = 45;

const SEED: u64 = 0x4a42_2026_de5c_0001;

const ZONES: [&str; 5] = ["石化区", "精细化工区", "仓储物流区", "公用工程区", "综合服务区"];

/// Supplier indices, in the demo's order (`demo.rs` SUPPLIERS): two engineers each.
const PLAT: usize = 0;
const VIDEO: usize = 1;
const GATE: usize = 2;
const ENVOP: usize = 3;
const GASDET: usize = 4;
const NETINT: usize = 5;
const SEC: usize = 6;
const CARRIER: usize = 7;
const ENERGY: usize = 8;

const SUPPLIER_NAMES: [&str; 9] = [
    "平台开发商",
    "视频厂家",
    "卡口厂家",
    "环境监测运营商",
    "仪表厂家",
    "网络集成商",
    "安全厂家",
    "运营商",
    "能源计量厂家",
];

/// A small deterministic generator (SplitMix64): no dependency, the same sequence everywhere.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// In `[lo, hi)`.
    pub(crate) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from((hi - lo).max(1)).unwrap_or(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A demo user the history refers to.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    id: UserId,
    username: String,
    name: String,
    phone: String,
    org: OrgId,
}

impl Person {
    fn of(u: &UserRecord) -> Self {
        Self {
            id: u.id,
            username: u.username.clone(),
            name: u.display_name.clone(),
            phone: u.phone.clone(),
            org: u.org_id,
        }
    }
}

/// The people of the demo park the desk works with.
#[derive(Debug, Clone)]
pub(crate) struct Roster {
    /// jb.op01–op10 (一线).
    ops: Vec<Person>,
    /// jb.tech01–tech08 (二线).
    techs: Vec<Person>,
    /// jb.vendor01–vendor18 (三线), two per supplier in the demo's order.
    vendors: Vec<Person>,
    /// jb.ent01–ent36, two per major-hazard enterprise.
    contacts: Vec<Person>,
    /// jb.unit01–unit10, business users of the using unit.
    units: Vec<Person>,
    /// Short names of the 18 major-hazard enterprises.
    enterprises: Vec<String>,
}

/// Someone of the roster, by group and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Op(usize),
    Tech(usize),
    Vendor(usize),
    Contact(usize),
    Unit(usize),
}

impl Roster {
    fn person(&self, w: Who) -> &Person {
        let (group, i) = match w {
            Who::Op(i) => (&self.ops, i),
            Who::Tech(i) => (&self.techs, i),
            Who::Vendor(i) => (&self.vendors, i),
            Who::Contact(i) => (&self.contacts, i),
            Who::Unit(i) => (&self.units, i),
        };
        &group[i % group.len()]
    }
}

/// Who reported a ticket.
#[derive(Debug, Clone)]
enum Reporter {
    /// A user reporting through the portal (enterprise contact).
    User(Who),
    /// An outside call registered by the desk.
    Call { name: String, phone: String, by: Who },
    /// Found by the duty operator on the monitoring platform.
    Monitor(Who),
}

/// Whom an assignment goes to.
#[derive(Debug, Clone, Copy)]
enum Pick {
    /// A member of the ticket's line at that moment.
    Line,
    /// An engineer of the ticket's supplier.
    Vendor,
    /// This person.
    Person(Who),
}

/// One step of a ticket's history.
#[derive(Debug, Clone)]
enum Act {
    Ack {
        by: Who,
        note: String,
    },
    Start {
        by: Option<Who>,
    },
    Assign {
        by: Who,
        to: Pick,
        dispatch: bool,
        note: String,
    },
    Escalate {
        by: Who,
        note: String,
    },
    Wait {
        by: Option<Who>,
        on: WaitingOn,
        note: String,
    },
    Resume {
        by: Option<Who>,
        note: String,
    },
    Comment {
        by: Option<Who>,
        kind: &'static str,
        note: String,
    },
    Resolve {
        by: Option<Who>,
        note: String,
    },
    Confirm {
        by: Who,
        note: String,
    },
    AutoClose,
    Rate {
        by: Who,
        stars: i64,
        comment: String,
    },
    /// Raised by the SLA watcher.
    SlaWarn {
        clock: &'static str,
    },
    /// Raised by the SLA watcher; escalates one line.
    SlaBreach {
        clock: &'static str,
    },
    /// A member of the new line takes the ticket after an automatic escalation.
    Pickup,
}

/// A ticket's story before it is played out.
#[derive(Debug, Clone)]
struct Plan {
    created: Timestamp,
    level: Level,
    kind: TicketKind,
    domain: BusinessDomain,
    mode: HandlingMode,
    vendor: usize,
    title: String,
    description: String,
    location: String,
    affected: String,
    reporter: Reporter,
    enterprise: Option<OrgId>,
    /// The duty operator who took the ticket.
    desk: Who,
    acts: Vec<(Timestamp, Act)>,
}

impl Plan {
    fn at(&mut self, minutes: i64, act: Act) -> &mut Self {
        self.acts.push((self.created.plus(Duration::minutes(minutes)), act));
        self
    }
}

/// A generated ticket with its timeline and pauses, ready to store.
#[derive(Debug, Clone)]
pub(crate) struct Hist {
    pub(crate) ticket: TicketRecord,
    pub(crate) events: Vec<TicketEvent>,
    pub(crate) pauses: Vec<Pause>,
}

/// Where a template's report comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Src {
    /// An enterprise contact.
    Ent,
    /// The duty operator, from the monitoring platform.
    Monitor,
    /// A call from someone on site.
    Call(&'static str),
    /// A user of the using unit (管委会), through the portal.
    Unit,
}

/// (domain, handling mode, supplier, source, title, location, affected, resolution). Titles
/// take `{e}` enterprise, `{z}` zone, `{n}` 2–40, `{d}` 1–6, `{k}` checkpoint 1–6, `{nn}` 01–26,
/// `{nnn}` 001–640.
type Tpl = (BusinessDomain, HandlingMode, usize, Src, &'static str, &'static str, &'static str, &'static str);

use BusinessDomain as D;
use HandlingMode as M;

const SEVERE: [Tpl; 12] = [
    (
        D::SafetyProduction,
        M::Remote,
        NETINT,
        Src::Ent,
        "{e}边缘网关离线，{n} 个监测点数据中断",
        "{e} 机柜间",
        "边缘网关 GW-E{nn}",
        "网关电源适配器故障，已更换并恢复上报；离线期间数据已补传",
    ),
    (
        D::ClosedArea,
        M::OnSite,
        GATE,
        Src::Call("卡口值班岗"),
        "{k} 号卡口道闸不能抬杆，车道拥堵",
        "{k} 号卡口 {d} 车道",
        "道闸 BG-{k}{d}",
        "道闸电机控制板烧毁，已更换备件并试运行",
    ),
    (
        D::SafetyProduction,
        M::OnSite,
        VIDEO,
        Src::Monitor,
        "NVR-{nn} 离线，{n} 路摄像机无录像",
        "{z} 汇聚机房",
        "NVR-{nn}",
        "NVR 系统盘故障，重装系统并恢复录像计划；录像缺口已登记",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Monitor,
        "省级风险监测预警系统数据推送连续失败",
        "园区数据中心",
        "数据推送服务 push-prov",
        "省级平台证书更换后 SM4 密钥未同步，已更新配置并补推数据",
    ),
    (
        D::Environmental,
        M::OnSite,
        ENVOP,
        Src::Ent,
        "{e}CEMS 数采仪离线，小时数据缺失",
        "{e} 废气排口 DA00{d}",
        "数采仪 DL-E{nn}",
        "数采仪 4G 模块故障，已更换并以 CN 2061 补传历史数据",
    ),
    (
        D::NetworkSecurity,
        M::OnSite,
        NETINT,
        Src::Monitor,
        "{z}汇聚交换机故障，{n} 台接入设备掉线",
        "{z} 汇聚机房",
        "汇聚交换机 AGG-0{d}",
        "交换机电源模块故障，已切换冗余电源并更换模块",
    ),
    (
        D::Environmental,
        M::Remote,
        PLAT,
        Src::Monitor,
        "HJ 212 接收服务异常，{n} 台数采仪数据积压",
        "园区数据中心",
        "HJ212 接入服务",
        "接收服务连接数耗尽，已调整上限并重启，积压数据已入库",
    ),
    (
        D::Emergency,
        M::OnSite,
        NETINT,
        Src::Call("应急管理局值班室"),
        "应急广播{z}分区无法播放",
        "{z}",
        "IP 广播分区主机 PA-0{d}",
        "分区功放故障，已更换并完成播放测试",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Monitor,
        "规则引擎处理延迟超过 10 分钟，报警推送滞后",
        "园区数据中心",
        "规则引擎 rule-engine",
        "消费组再均衡异常，已扩容分区并重启消费者，延迟恢复到秒级",
    ),
    (
        D::Logistics,
        M::Remote,
        CARRIER,
        Src::Monitor,
        "JT/T 809 车辆定位转发中断，危化品车辆轨迹停更",
        "园区数据中心",
        "JT/T 809 平台链路",
        "上级平台 IP 白名单变更，已重新报备并恢复链路",
    ),
    (
        D::SafetyProduction,
        M::OnSite,
        VIDEO,
        Src::Monitor,
        "视频 AI 分析服务器 GPU 故障，烟火识别停用",
        "综合服务区 数据中心",
        "AI 分析服务器 AI-0{d}",
        "GPU 卡故障，已更换并恢复算法任务",
    ),
    (
        D::Logistics,
        M::OnSite,
        GATE,
        Src::Call("危化品停车场管理员"),
        "危化品停车场车牌识别离线，车辆无法入场登记",
        "仓储物流区 危化品停车场",
        "停车场 ANPR 相机 PK-0{d}",
        "相机 PoE 供电端口故障，已更换交换机端口",
    ),
];

const GENERAL: [Tpl; 24] = [
    (
        D::SafetyProduction,
        M::OnSite,
        VIDEO,
        Src::Monitor,
        "{z} {n} 号路口摄像机图像模糊",
        "{z} {n} 号路口",
        "摄像机 CAM-{nnn}",
        "镜头污染，已清洁并重新对焦",
    ),
    (
        D::SafetyProduction,
        M::OnSite,
        GASDET,
        Src::Ent,
        "{e}可燃气体探测器 GD-{nnn} 数据跳变",
        "{e} 罐区",
        "可燃气体探测器 GD-{nnn}",
        "探头受潮，已更换探头并标定",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        GASDET,
        Src::Ent,
        "{e}储罐液位计 LT-{nnn} 数值超量程",
        "{e} 罐区 T-{d}",
        "液位计 LT-{nnn}",
        "点位量程配置错误，已按仪表位号表更正",
    ),
    (
        D::ClosedArea,
        M::OnSite,
        GATE,
        Src::Call("卡口值班岗"),
        "{k} 号卡口 LED 屏显示乱码",
        "{k} 号卡口",
        "LED 屏 LED-{k}",
        "控制卡固件异常，已重刷固件",
    ),
    (
        D::ClosedArea,
        M::OnSite,
        GATE,
        Src::Monitor,
        "人员定位基站 UWB-{nn} 离线",
        "{z}",
        "定位基站 UWB-{nn}",
        "基站 PoE 供电中断，已恢复供电",
    ),
    (
        D::Environmental,
        M::OnSite,
        ENVOP,
        Src::Ent,
        "{e}废气排口 NOx 分析仪标定后数据偏高",
        "{e} 废气排口 DA00{d}",
        "CEMS NOx 分析仪",
        "标气浓度录入错误，已重新标定并提交校准记录",
    ),
    (
        D::Environmental,
        M::OnSite,
        ENVOP,
        Src::Ent,
        "{e}废水排口 COD 分析仪试剂不足报警",
        "{e} 废水排口 DW001",
        "COD 在线分析仪",
        "已补充试剂并做标样核查",
    ),
    (
        D::Environmental,
        M::OnSite,
        ENVOP,
        Src::Monitor,
        "微型空气站 MS-{nn} PM2.5 数据缺失",
        "{z} 边界",
        "微型站 MS-{nn}",
        "采样泵堵塞，已清洗并恢复数据",
    ),
    (
        D::Energy,
        M::Remote,
        ENERGY,
        Src::Monitor,
        "能耗网关 EG-{nn} 电表数据不完整",
        "公用工程区 变电所",
        "能耗网关 EG-{nn}",
        "RS-485 总线地址冲突，已重新配置",
    ),
    (
        D::NetworkSecurity,
        M::Remote,
        CARRIER,
        Src::Monitor,
        "4G 物联网卡 SIM-{nn} 流量即将用尽",
        "{e}",
        "通信链路 SIM-{nn}",
        "已办理流量包升级",
    ),
    (
        D::ClosedArea,
        M::OnSite,
        GATE,
        Src::Call("园区巡逻队"),
        "周界电子围栏 {n} 号防区误报频繁",
        "{z} 周界",
        "周界防区 PZ-{nn}",
        "植被遮挡，已清理并调整灵敏度",
    ),
    (
        D::ClosedArea,
        M::OnSite,
        GATE,
        Src::Call("人行通道保安"),
        "人脸闸机 FG-{d} 识别率下降",
        "{z} 人行通道",
        "人脸闸机 FG-{d}",
        "补光灯故障，已更换",
    ),
    (
        D::Emergency,
        M::OnSite,
        NETINT,
        Src::Monitor,
        "应急物资库温湿度传感器离线",
        "综合服务区 应急物资库",
        "温湿度传感器 WS-0{d}",
        "传感器电池耗尽，已更换",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "值班大屏 GIS 图层加载缓慢",
        "指挥中心",
        "GIS 服务",
        "瓦片缓存失效，已重建缓存",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "月度报表导出 Excel 超时",
        "园区数据中心",
        "报表服务",
        "统计查询缺少索引，已优化",
    ),
    (
        D::Environmental,
        M::OnSite,
        ENVOP,
        Src::Monitor,
        "VOC 监测站 V-0{d} GC-FID 载气压力低",
        "{z} 边界 VOC 站 V-0{d}",
        "VOC 分析仪 GC-FID",
        "已更换载气钢瓶并复核零点",
    ),
    (
        D::Energy,
        M::OnSite,
        ENERGY,
        Src::Ent,
        "{e}蒸汽流量计 FS-{nn} 通信中断",
        "{e} 蒸汽入口",
        "蒸汽流量计 FS-{nn}",
        "通信线缆接头松动，已紧固",
    ),
    (
        D::NetworkSecurity,
        M::OnSite,
        NETINT,
        Src::Monitor,
        "精密空调 AC-0{d} 高温告警",
        "园区数据中心 机房A",
        "精密空调 AC-0{d}",
        "冷凝器积尘，已清洗",
    ),
    (
        D::NetworkSecurity,
        M::OnSite,
        NETINT,
        Src::Monitor,
        "UPS-0{d} 电池自检异常",
        "园区数据中心 配电室",
        "UPS-0{d}",
        "2 节电池内阻超标，已更换",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        VIDEO,
        Src::Ent,
        "{e}重大危险源视频接入中断（GB/T 28181）",
        "{e}",
        "企业视频接入 {n} 路",
        "企业侧 SIP 注册密码变更，已同步",
    ),
    (
        D::SafetyProduction,
        M::OnSite,
        GASDET,
        Src::Ent,
        "{e}有毒气体探测器 TD-{nnn} 离线",
        "{e} 装置区",
        "有毒气体探测器 TD-{nnn}",
        "GDS 通道卡故障，企业已更换",
    ),
    (
        D::Environmental,
        M::OnSite,
        ENVOP,
        Src::Monitor,
        "气象站风向数据异常",
        "公用工程区 气象站",
        "气象站 MET-01",
        "风向标卡滞，已维护",
    ),
    (
        D::SafetyProduction,
        M::OnSite,
        VIDEO,
        Src::Monitor,
        "防爆摄像机 EX-{nnn} 云台不能转动",
        "{z}",
        "防爆摄像机 EX-{nnn}",
        "云台电机故障，已更换",
    ),
    (
        D::NetworkSecurity,
        M::Remote,
        SEC,
        Src::Monitor,
        "堡垒机会话审计录像存储告警",
        "园区数据中心",
        "堡垒机 BH-01",
        "录像归档任务失败，已清理并恢复归档",
    ),
];

const MINOR: [Tpl; 14] = [
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "工单列表时间显示格式不一致",
        "运维平台",
        "工单模块",
        "统一为 yyyy-MM-dd HH:mm，已随补丁发布",
    ),
    (D::SafetyProduction, M::Remote, PLAT, Src::Unit, "月报标题出现错别字", "运维平台", "报表模板", "已更正模板"),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "设备台账导出列顺序与模板不一致",
        "运维平台",
        "台账导出",
        "已调整导出列顺序",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "大屏图标颜色与图例不一致",
        "指挥中心",
        "综合态势大屏",
        "已修正图例配色",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "移动端巡检页面按钮被遮挡",
        "巡检 App",
        "巡检 App 表单页",
        "已调整页面布局",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        VIDEO,
        Src::Monitor,
        "摄像机 CAM-{nnn} OSD 名称与台账不一致",
        "{z}",
        "摄像机 CAM-{nnn}",
        "已按台账更正 OSD",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "巡检记录打印页眉缺少园区名称",
        "运维平台",
        "巡检记录打印",
        "已补充页眉",
    ),
    (
        D::ClosedArea,
        M::OnSite,
        GATE,
        Src::Call("卡口值班岗"),
        "{k} 号卡口 LED 屏夜间亮度偏高",
        "{k} 号卡口",
        "LED 屏 LED-{k}",
        "已设置夜间亮度曲线",
    ),
    (
        D::Energy,
        M::Remote,
        ENERGY,
        Src::Unit,
        "能耗报表单位显示为 kwh（应为 kWh）",
        "运维平台",
        "能耗报表",
        "已更正单位显示",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Ent,
        "申请开通{e}新增联系人平台账号",
        "{e}",
        "账号管理",
        "已按流程开通账号并告知初始口令修改要求",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        VIDEO,
        Src::Unit,
        "申请导出上月视频在线率明细",
        "运维平台",
        "视频在线率报表",
        "已导出并发送",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Ent,
        "申请变更{e}应急联系人电话",
        "{e}",
        "企业信息",
        "已更新联系人信息",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "告警列表分页后筛选条件丢失",
        "运维平台",
        "告警列表",
        "已修复，随补丁发布",
    ),
    (
        D::Environmental,
        M::Remote,
        ENVOP,
        Src::Monitor,
        "VOC 站点名称拼写错误（V-0{d}）",
        "{z} 边界 VOC 站 V-0{d}",
        "站点信息",
        "已更正站点名称",
    ),
];

const SUGGESTIONS: [Tpl; 4] = [
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Ent,
        "建议增加按企业订阅告警的功能",
        "运维平台",
        "告警订阅",
        "已纳入下一版本计划",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "建议综合态势大屏增加夜间模式",
        "指挥中心",
        "综合态势大屏",
        "已纳入下一版本计划",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "建议巡检 App 支持离线填报",
        "巡检 App",
        "巡检 App",
        "已评估，纳入版本计划",
    ),
    (
        D::SafetyProduction,
        M::Remote,
        PLAT,
        Src::Unit,
        "建议工单导出增加处理时长列",
        "运维平台",
        "工单导出",
        "已在 2.3 版本实现",
    ),
];

const CALLER_SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "周", "吴", "孙", "郑", "冯"];

const RATING_COMMENTS: [(i64, &str); 8] = [
    (5, "响应及时，处理专业"),
    (5, "当天就恢复了，谢谢"),
    (5, ""),
    (4, "处理较快"),
    (4, ""),
    (3, "恢复时间偏长"),
    (3, "希望提前告知进度"),
    (2, "多次催促才到现场"),
];

fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}

/// `days` days before `now`'s CST date, at `h:m` CST.
fn cst_at(now: Timestamp, days: i64, h: u32, m: u32) -> Timestamp {
    let date = now.to_cst().date_naive() - Duration::days(days);
    let time = NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
    Timestamp::from_millis(date.and_time(time).and_utc().timestamp_millis() - 8 * 3_600_000)
}

/// The instant at which a clock has run `amount`, or None when it stops in an open pause.
fn reach(
    calendar: &WorkingCalendar,
    coverage: Coverage,
    started: Timestamp,
    pauses: &[Pause],
    amount: Duration,
) -> Option<Timestamp> {
    let c = SlaClock { calendar, coverage, target: amount, started, pauses };
    let mut t = started;
    for _ in 0..64 {
        if let Some(p) = pauses.iter().find(|p| p.start <= t && p.end.is_none_or(|e| t < e)) {
            t = p.end?;
            continue;
        }
        if c.elapsed(t) >= amount {
            return Some(t);
        }
        let ClockState::Running { due } = c.state(t) else { return None };
        match pauses.iter().find(|p| p.start > t && p.start < due) {
            Some(p) => t = p.start,
            None => return Some(due),
        }
    }
    None
}

fn sla_clock<'a>(calendar: &'a WorkingCalendar, t: &TicketRecord, target_ms: i64, pauses: &'a [Pause]) -> SlaClock<'a> {
    SlaClock {
        calendar,
        coverage: Coverage::parse(&t.coverage).unwrap_or(Coverage::TwentyFourSeven),
        target: Duration::milliseconds(target_ms),
        started: t.created_at,
        pauses,
    }
}

/// Whether the SLA watcher, running at `at`, would raise nothing new on this ticket.
fn quiet_at(h: &Hist, sla: &SlaPolicy, calendar: &WorkingCalendar, at: Timestamp) -> bool {
    let t = &h.ticket;
    let warn = i64::from(sla.warn_percent);
    let due = |p: i64, flags: (bool, bool)| (p >= warn && !flags.0) || (p >= 100 && !flags.1);
    if t.acknowledged_at.is_none() {
        let p = sla_clock(calendar, t, t.response_target_ms, &[]).percent(at);
        if due(p, (t.sla_flags[0], t.sla_flags[1])) {
            return false;
        }
    }
    if ticket::is_open(&t.state) {
        let p = sla_clock(calendar, t, t.resolve_target_ms, &h.pauses).percent(at);
        if due(p, (t.sla_flags[2], t.sla_flags[3])) {
            return false;
        }
    }
    true
}

struct Gen<'a> {
    rng: Rng,
    roster: &'a Roster,
    cfg: &'a DeskConfig,
    park: ParkId,
    now: Timestamp,
}

/// A ticket's state as its history is played out.
struct Walk {
    id: uuid::Uuid,
    state: TicketState,
    line: SupportLine,
    assignee: Option<Who>,
    mode: HandlingMode,
    acknowledged: Option<Timestamp>,
    resolved: Option<Timestamp>,
    flags: [bool; 4],
    rating: Option<i64>,
    rating_comment: String,
    events: Vec<TicketEvent>,
}

impl Walk {
    fn event(&mut self, at: Timestamp, actor: &str, kind: &str, from: &str, to: &str, note: &str) {
        self.events.push(TicketEvent {
            ticket_id: self.id,
            seq: i64::try_from(self.events.len()).unwrap_or(0) + 1,
            at,
            actor: actor.to_owned(),
            kind: kind.to_owned(),
            from_state: from.to_owned(),
            to_state: to.to_owned(),
            note: note.to_owned(),
        });
    }

    fn act(&mut self, at: Timestamp, actor: &str, action: &TicketAction, note: &str) {
        let next = ticket::transition(&self.state, action, at);
        debug_assert!(next.is_ok(), "demo history: {} on a {} ticket", action.code(), ticket::state_code(&self.state));
        let Ok(next) = next else { return };
        let from = ticket::state_code(&self.state);
        if self.acknowledged.is_none() && !matches!(next, TicketState::New) {
            self.acknowledged = Some(at);
        }
        if matches!(next, TicketState::Resolved { .. }) {
            self.resolved = Some(at);
        }
        self.state = next;
        self.event(at, actor, action.code(), from, ticket::state_code(&self.state), note);
    }

    fn escalate(&mut self, at: Timestamp, actor: &str, note: &str) {
        if let Some(next) = self.line.next() {
            let from = self.line;
            self.line = next;
            self.assignee = None;
            self.event(at, actor, "escalated", from.code(), next.code(), note);
        }
    }
}

impl Gen<'_> {
    fn who(&self, w: Who) -> &Person {
        self.roster.person(w)
    }

    /// The operator on duty at `t`: day (08–16) op01–04, evening op05–07, night op08–10.
    fn duty_op(&mut self, t: Timestamp) -> Who {
        let hour = t.to_cst().hour();
        let (first, n) = match hour {
            8..16 => (0, 4),
            16..24 => (4, 3),
            _ => (7, 3),
        };
        Who::Op(first + self.rng.below(n))
    }

    fn member(&mut self, line: SupportLine, vendor: usize) -> Who {
        match line {
            SupportLine::L1 => Who::Op(self.rng.below(self.roster.ops.len())),
            SupportLine::L2 => Who::Tech(self.rng.below(self.roster.techs.len())),
            SupportLine::L3 => Who::Vendor(vendor * 2 + self.rng.below(2)),
        }
    }

    fn enterprise_org(&self, e: usize) -> OrgId {
        self.roster.person(Who::Contact(e * 2)).org
    }

    /// A plan from a template, with no steps yet.
    fn plan(&mut self, level: Level, tpl: &Tpl, created: Timestamp, desk: Who) -> Plan {
        let (domain, mode, vendor, src, title, location, affected, _) = *tpl;
        let e = self.rng.below(self.roster.enterprises.len());
        let ent = self.roster.enterprises[e].clone();
        let zone = ZONES[self.rng.below(ZONES.len())];
        let (n, d, k) = (self.rng.between(2, 41), self.rng.between(1, 7), self.rng.between(1, 7));
        let (nn, nnn) = (self.rng.between(1, 27), self.rng.between(1, 641));
        let fill = |s: &str| {
            s.replace("{e}", &ent)
                .replace("{z}", zone)
                .replace("{nnn}", &format!("{nnn:03}"))
                .replace("{nn}", &format!("{nn:02}"))
                .replace("{n}", &n.to_string())
                .replace("{d}", &d.to_string())
                .replace("{k}", &k.to_string())
        };
        let mentions_enterprise = title.contains("{e}") || location.contains("{e}");
        let reporter = match src {
            Src::Ent => {
                let contact = Who::Contact(e * 2 + self.rng.below(2));
                if self.rng.chance(80) {
                    Reporter::User(contact)
                } else {
                    let p = self.who(contact);
                    Reporter::Call { name: p.name.clone(), phone: p.phone.clone(), by: desk }
                }
            }
            Src::Monitor => Reporter::Monitor(desk),
            Src::Unit => Reporter::User(Who::Unit(self.rng.below(self.roster.units.len()))),
            Src::Call(label) => {
                let surname = CALLER_SURNAMES[self.rng.below(CALLER_SURNAMES.len())];
                let phone = format!("138{:08}", self.rng.between(0, 100_000_000));
                Reporter::Call { name: format!("{label} {surname}工"), phone, by: desk }
            }
        };
        let kind = if level == Level::Suggestion {
            TicketKind::Suggestion
        } else if title.starts_with("申请") {
            TicketKind::ServiceRequest
        } else if level == Level::General && mode == HandlingMode::OnSite && self.rng.chance(30) {
            TicketKind::Repair
        } else {
            TicketKind::FaultReport
        };
        let source = match src {
            Src::Ent => "企业报障".to_owned(),
            Src::Monitor => "平台监控告警".to_owned(),
            Src::Call(label) => format!("{label}来电"),
            Src::Unit => "管委会用户报障".to_owned(),
        };
        let impact = match level {
            Level::Fatal | Level::Severe => "主要功能受影响，需尽快恢复。",
            Level::General => "次要功能异常，已采取临时措施。",
            Level::Minor => "影响很小。",
            Level::Suggestion => "改进建议，请评估纳入版本计划。",
        };
        let (title, location, affected) = (fill(title), fill(location), fill(affected));
        let description = format!("{title}。\n来源：{source}；位置：{location}；影响对象：{affected}。\n{impact}");
        Plan {
            created,
            level,
            kind,
            domain,
            mode,
            vendor,
            title,
            description,
            location,
            affected,
            reporter,
            enterprise: mentions_enterprise.then(|| self.enterprise_org(e)),
            desk,
            acts: Vec::new(),
        }
    }

    /// A closed (or just resolved) ticket of the past, with a plausible course.
    fn historic(&mut self, level: Level, tpl: &Tpl, created: Timestamp) -> Plan {
        let desk = self.duty_op(created);
        let mut p = self.plan(level, tpl, created, desk);
        let on_site = p.mode != HandlingMode::Remote;
        let r = &mut self.rng;
        let ack = match level {
            Level::Fatal | Level::Severe if r.chance(8) => r.between(24, 45),
            Level::Fatal | Level::Severe => r.between(3, 20),
            Level::General if r.chance(5) => r.between(250, 480),
            Level::General => r.between(5, 90),
            Level::Minor => r.between(20, 360),
            Level::Suggestion => r.between(120, 3 * 1440),
        };
        let mut t = ack;
        p.at(t, Act::Ack { by: desk, note: "已受理".into() });
        if on_site || level == Level::Severe || r.chance(35) {
            t += r.between(3, 20);
            let note = if on_site {
                "交接：需二线现场处理"
            } else {
                "交接：一线远程重启无效，转二线"
            };
            p.at(t, Act::Escalate { by: desk, note: note.into() });
            t += r.between(2, 10);
            let note = if on_site { "派工程师到现场" } else { "派二线工程师处理" };
            p.at(t, Act::Assign { by: desk, to: Pick::Line, dispatch: on_site, note: note.into() });
        } else {
            t += r.between(1, 8);
            p.at(t, Act::Assign { by: desk, to: Pick::Person(desk), dispatch: false, note: "一线远程处理".into() });
        }
        t += r.between(5, 40);
        p.at(t, Act::Start { by: None });
        let start = t;
        let vendor_chance = match level {
            Level::Fatal | Level::Severe => 40,
            Level::General => 20,
            Level::Minor => 5,
            Level::Suggestion => 0,
        };
        if r.chance(vendor_chance) {
            t += r.between(30, 150);
            let supplier = SUPPLIER_NAMES[p.vendor];
            if level == Level::Severe {
                p.at(t, Act::Escalate { by: desk, note: format!("交接：需{supplier}工程师处理") });
                t += r.between(3, 10);
            }
            p.at(t, Act::Assign { by: desk, to: Pick::Vendor, dispatch: on_site, note: format!("转{supplier}工程师") });
        }
        let mut paused = 0;
        let wait_chance = match level {
            Level::Fatal | Level::Severe => 10,
            Level::General => 18,
            Level::Minor => 12,
            Level::Suggestion => 0,
        };
        if r.chance(wait_chance) {
            t += r.between(20, 180);
            let on_vendor = r.chance(75);
            let len = match (on_vendor, level) {
                (true, Level::Fatal | Level::Severe) => r.between(60, 360),
                (true, _) => r.between(240, 3 * 1440),
                (false, _) => r.between(60, 2 * 1440),
            };
            let (on, note, back) = if on_vendor {
                (WaitingOn::Vendor, "等待厂家备件", "备件到货，继续处理")
            } else {
                (WaitingOn::Reporter, "等待报障方确认现场条件", "报障方已配合，继续处理")
            };
            p.at(t, Act::Wait { by: None, on, note: note.into() });
            t += len;
            paused = len;
            p.at(t, Act::Resume { by: None, note: back.into() });
        }
        let work = match level {
            Level::Fatal | Level::Severe if r.chance(10) => r.between(510, 840),
            Level::Fatal | Level::Severe => r.between(90, 420),
            Level::General if r.chance(5) => r.between(5 * 1440, 8 * 1440),
            Level::General => r.between(180, 3 * 1440),
            Level::Minor => r.between(1440, 10 * 1440),
            Level::Suggestion => r.between(3 * 1440, 20 * 1440),
        };
        let resolve = (work + paused).max(t + r.between(15, 60));
        if level == Level::Severe {
            let mid = start + (resolve - start) / 2;
            p.at(mid, Act::Comment { by: None, kind: "comment", note: "进展：已定位原因，正在处理".into() });
        }
        let fix = tpl.7;
        p.at(resolve, Act::Resolve { by: None, note: fix.into() });
        self.fit(&mut p);
        let resolved_at = p.acts.iter().map(|(t, _)| *t).max().unwrap_or(created);
        let confirm = if matches!(p.reporter, Reporter::User(_)) { 85 } else { 65 };
        if self.rng.chance(confirm) {
            let at = resolved_at.plus(minutes(self.rng.between(30, 30 * 60)));
            let (by, note) = match p.reporter {
                Reporter::User(u) => (u, "确认已恢复"),
                Reporter::Call { by, .. } => (by, "电话回访：报障人确认已恢复"),
                Reporter::Monitor(op) => (op, "监控确认恢复正常"),
            };
            p.acts.push((at, Act::Confirm { by, note: note.into() }));
            if let Reporter::User(u) = p.reporter
                && self.rng.chance(90)
            {
                let (stars, comment) = RATING_COMMENTS[self.rng.below(RATING_COMMENTS.len())];
                p.acts.push((
                    at.plus(minutes(self.rng.between(1, 60))),
                    Act::Rate { by: u, stars, comment: comment.into() },
                ));
            }
        } else {
            p.acts.push((resolved_at.plus(self.cfg.auto_close), Act::AutoClose));
        }
        p
    }

    /// Moves a plan that would end in the future back so it ended up to two days ago, or,
    /// where that would start it more than 90 days ago, squeezes its steps to end 30 minutes
    /// before now.
    fn fit(&mut self, p: &mut Plan) {
        let limit = self.now.plus(minutes(-30));
        let last = p.acts.iter().map(|(t, _)| *t).max().unwrap_or(p.created);
        if last <= limit || limit <= p.created {
            return;
        }
        let back = last.since(limit) + minutes(self.rng.between(0, 2 * 1440));
        if p.created.plus(-back) >= self.now.plus(Duration::days(-89)) {
            p.created = p.created.plus(-back);
            for (t, _) in &mut p.acts {
                *t = t.plus(-back);
            }
            return;
        }
        let (span, room) = (
            i128::from(last.since(p.created).num_milliseconds()),
            i128::from(limit.since(p.created).num_milliseconds()),
        );
        for (t, _) in &mut p.acts {
            let off = i128::from(t.since(p.created).num_milliseconds()) * room / span;
            *t = p.created.plus(Duration::milliseconds(i64::try_from(off).unwrap_or(0)));
        }
    }

    /// Plays a plan out up to now: SLA warnings and breaches where the watcher would have
    /// raised them, automatic escalations, the final record.
    fn realise(&mut self, mut p: Plan) -> Hist {
        let now = self.now;
        p.acts.retain(|(t, _)| *t <= now);
        p.acts.sort_by_key(|(t, _)| *t);
        let target = self.cfg.sla.target(p.level);
        let calendar = &self.cfg.calendar;
        let mut pauses: Vec<Pause> = Vec::new();
        for (t, a) in &p.acts {
            match a {
                Act::Wait { .. } => pauses.push(Pause { start: *t, end: None }),
                Act::Resume { .. } => {
                    if let Some(last) = pauses.last_mut() {
                        last.end = Some(*t);
                    }
                }
                _ => {}
            }
        }
        let first = |f: fn(&Act) -> bool| p.acts.iter().find(|(_, a)| f(a)).map(|(t, _)| *t);
        let ack = first(|a| matches!(a, Act::Ack { .. } | Act::Start { .. } | Act::Wait { .. } | Act::Resolve { .. }));
        let resolved = first(|a| matches!(a, Act::Resolve { .. }));
        let warn = i64::from(self.cfg.sla.warn_percent);
        let mut sla = Vec::new();
        for (clock, target_ms, clock_pauses, stop) in [
            ("response", target.response, &[][..], ack.unwrap_or(now)),
            ("resolve", target.resolve, &pauses[..], resolved.unwrap_or(now)),
        ] {
            let ms = target_ms.num_milliseconds();
            let at_warn = Duration::milliseconds((ms * warn + 99) / 100);
            if let Some(w) = reach(calendar, target.coverage, p.created, clock_pauses, at_warn).filter(|w| *w <= stop) {
                sla.push((w, Act::SlaWarn { clock }));
            }
            if let Some(b) = reach(calendar, target.coverage, p.created, clock_pauses, target_ms).filter(|b| *b <= stop)
            {
                sla.push((b, Act::SlaBreach { clock }));
                let pickup = b.plus(minutes(10));
                if pickup < resolved.unwrap_or(now) && pickup <= now {
                    sla.push((pickup, Act::Pickup));
                }
            }
        }
        p.acts.extend(sla);
        p.acts.sort_by_key(|(t, _)| *t);

        let reporter = match &p.reporter {
            Reporter::User(u) => {
                let u = self.who(*u);
                (Some(u.id), u.name.clone(), u.phone.clone(), u.username.clone())
            }
            Reporter::Call { name, phone, by } => (None, name.clone(), phone.clone(), self.who(*by).username.clone()),
            Reporter::Monitor(op) => {
                let u = self.who(*op);
                (Some(u.id), u.name.clone(), u.phone.clone(), u.username.clone())
            }
        };
        let (reporter_user_id, reporter_name, reporter_phone, created_by) = reporter;
        let mut w = Walk {
            id: uuid::Uuid::now_v7(),
            state: TicketState::New,
            line: SupportLine::L1,
            assignee: None,
            mode: p.mode,
            acknowledged: None,
            resolved: None,
            flags: [false; 4],
            rating: None,
            rating_comment: String::new(),
            events: Vec::new(),
        };
        let created_note: String = p.description.chars().take(500).collect();
        w.event(p.created, &created_by, "created", "", "new", &created_note);
        let name = |g: &Self, who: Who| g.who(who).username.clone();
        for (at, act) in std::mem::take(&mut p.acts) {
            match act {
                Act::Ack { by, note } => w.act(at, &name(self, by), &TicketAction::Acknowledge, &note),
                Act::Start { by } => {
                    let by = by.or(w.assignee).unwrap_or(p.desk);
                    w.act(at, &name(self, by), &TicketAction::Start, "");
                }
                Act::Assign { by, to, dispatch, note } => {
                    let person = match to {
                        Pick::Line => self.member(w.line, p.vendor),
                        Pick::Vendor => Who::Vendor(p.vendor * 2 + self.rng.below(2)),
                        Pick::Person(x) => x,
                    };
                    w.assignee = Some(person);
                    if dispatch && w.mode == HandlingMode::Remote {
                        w.mode = HandlingMode::Both;
                    }
                    let kind = if dispatch { "dispatch" } else { "assigned" };
                    let line = w.line.code();
                    let note = format!("{note}：{}", self.who(person).name);
                    w.event(at, &name(self, by), kind, line, line, &note);
                }
                Act::Escalate { by, note } => w.escalate(at, &name(self, by), &note),
                Act::Wait { by, on, note } => {
                    let by = by.or(w.assignee).unwrap_or(p.desk);
                    w.act(at, &name(self, by), &TicketAction::Wait { on }, &note);
                }
                Act::Resume { by, note } => {
                    let by = by.or(w.assignee).unwrap_or(p.desk);
                    w.act(at, &name(self, by), &TicketAction::Resume, &note);
                }
                Act::Comment { by, kind, note } => {
                    let by = by.or(w.assignee).unwrap_or(p.desk);
                    let s = ticket::state_code(&w.state);
                    w.event(at, &name(self, by), kind, s, s, &note);
                }
                Act::Resolve { by, note } => {
                    let by = by.or(w.assignee).unwrap_or(p.desk);
                    w.act(at, &name(self, by), &TicketAction::Resolve, &note);
                }
                Act::Confirm { by, note } => w.act(at, &name(self, by), &TicketAction::Confirm, &note),
                Act::AutoClose => w.act(at, "system", &TicketAction::AutoClose, ""),
                Act::Rate { by, stars, comment } => {
                    if matches!(w.state, TicketState::Closed { .. }) && w.rating.is_none() {
                        w.rating = Some(stars);
                        w.rating_comment.clone_from(&comment);
                        w.event(at, &name(self, by), "rated", "closed", "closed", &format!("{stars}★ {comment}"));
                    }
                }
                Act::SlaWarn { clock } => {
                    w.flags[if clock == "response" { 0 } else { 2 }] = true;
                    let s = ticket::state_code(&w.state);
                    w.event(at, "system", "sla_warning", s, s, &format!("{clock} {warn}%"));
                }
                Act::SlaBreach { clock } => {
                    w.flags[if clock == "response" { 1 } else { 3 }] = true;
                    let s = ticket::state_code(&w.state);
                    let note = format!("{clock} 100%");
                    w.event(at, "system", "sla_breach", s, s, &note);
                    w.escalate(at, "system", &note);
                }
                Act::Pickup => {
                    if w.assignee.is_none() && ticket::is_open(&w.state) {
                        let person = self.member(w.line, p.vendor);
                        w.assignee = Some(person);
                        let line = w.line.code();
                        w.event(at, &name(self, person), "assigned", line, line, "接手处理");
                    }
                }
            }
        }

        let updated_at = w.events.last().map_or(p.created, |e| e.at);
        let mut t = TicketRecord {
            id: w.id,
            park_id: self.park,
            number: String::new(),
            kind: p.kind,
            level: p.level,
            priority: p.level.default_priority(),
            domain: p.domain,
            handling_mode: w.mode,
            line: w.line,
            title: p.title,
            description: p.description,
            reporter_user_id,
            reporter_name,
            reporter_phone,
            enterprise_org_id: p.enterprise,
            location: p.location,
            affected: p.affected,
            asset_id: None,
            assignee_user_id: w.assignee.map(|a| self.who(a).id),
            state: w.state,
            sla_version: self.cfg.version.max(1),
            response_target_ms: target.response.num_milliseconds(),
            resolve_target_ms: target.resolve.num_milliseconds(),
            coverage: target.coverage.code().to_owned(),
            response_due_at: None,
            resolve_due_at: None,
            acknowledged_at: w.acknowledged,
            resolved_at: w.resolved,
            sla_flags: w.flags,
            rating: w.rating,
            rating_comment: w.rating_comment,
            created_by,
            created_at: p.created,
            updated_at,
        };
        let due = |c: SlaClock<'_>| match c.state(now) {
            ClockState::Running { due } => Some(due),
            ClockState::Paused => None,
        };
        if t.acknowledged_at.is_none() {
            t.response_due_at = due(sla_clock(calendar, &t, t.response_target_ms, &[]));
        }
        if ticket::is_open(&t.state) {
            t.resolve_due_at = due(sla_clock(calendar, &t, t.resolve_target_ms, &pauses));
        }
        Hist { ticket: t, events: w.events, pauses }
    }

    /// Plays out a plan of an open ticket, moving it earlier until no SLA threshold falls
    /// within [`QUIET`] minutes of now.
    fn live(&mut self, make: &dyn Fn(&mut Self, Timestamp) -> Plan, created: Timestamp) -> Hist {
        let plan = make(self, created);
        let mut h = self.realise(plan);
        for shift in 1..=48 {
            if quiet_at(&h, &self.cfg.sla, &self.cfg.calendar, self.now.plus(minutes(QUIET))) {
                break;
            }
            let plan = make(self, created.plus(minutes(-20 * shift)));
            h = self.realise(plan);
        }
        h
    }

    fn tpl_plan(&mut self, level: Level, tpl: &Tpl, created: Timestamp, desk: Who) -> Plan {
        // Live plans pick their details from a generator of their own, so a retry (with an
        // earlier start) yields the same ticket.
        let saved = Rng(self.rng.0);
        self.rng = Rng(tpl.4.bytes().fold(SEED, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b))));
        let p = self.plan(level, tpl, created, desk);
        self.rng = saved;
        p
    }

    /// The open tickets that make the queue: new, acknowledged, in progress (one warned, one
    /// breached and escalated), waiting on a vendor and on the reporter.
    fn live_tickets(&mut self) -> Vec<Hist> {
        let now = self.now;
        let mut out = Vec::new();
        // 一般, new, 25 minutes old.
        out.push(self.live(&|g, c| g.tpl_plan(Level::General, &GENERAL[1], c, Who::Op(0)), now.plus(minutes(-25))));
        // 轻微, new, a call registered 70 minutes ago.
        out.push(self.live(&|g, c| g.tpl_plan(Level::Minor, &MINOR[7], c, Who::Op(1)), now.plus(minutes(-70))));
        // 严重, acknowledged 6 minutes after it came in.
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::Severe, &SEVERE[6], c, Who::Op(2));
                p.at(6, Act::Ack { by: Who::Op(2), note: "已受理，正在排查接收服务".into() });
                p.at(
                    9,
                    Act::Assign {
                        by: Who::Op(2),
                        to: Pick::Person(Who::Op(2)),
                        dispatch: false,
                        note: "一线远程处理".into(),
                    },
                );
                p
            },
            now.plus(minutes(-50)),
        ));
        // 一般, in progress at about 85 % of its resolution target: warned.
        let general = self.cfg.sla.target(Level::General);
        let mut c = now.plus(minutes(-180));
        for _ in 0..2000 {
            let probe = SlaClock {
                calendar: &self.cfg.calendar,
                coverage: general.coverage,
                target: general.resolve,
                started: c,
                pauses: &[],
            };
            if probe.percent(now) >= 85 {
                break;
            }
            c = c.plus(minutes(-10));
        }
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::General, &GENERAL[0], c, Who::Op(3));
                p.at(15, Act::Ack { by: Who::Op(3), note: "已受理".into() })
                    .at(25, Act::Escalate { by: Who::Op(3), note: "交接：需二线现场处理".into() })
                    .at(
                        30,
                        Act::Assign {
                            by: Who::Op(3),
                            to: Pick::Person(Who::Tech(3)),
                            dispatch: true,
                            note: "派工程师到现场".into(),
                        },
                    )
                    .at(70, Act::Start { by: Some(Who::Tech(3)) })
                    .at(
                        180,
                        Act::Comment {
                            by: Some(Who::Tech(3)),
                            kind: "comment",
                            note: "镜头进水，需更换护罩，已申请备件".into(),
                        },
                    );
                p
            },
            c,
        ));
        // 严重, in progress, breached its resolution target and escalated to the third line.
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::Severe, &SEVERE[2], c, Who::Op(8));
                p.at(7, Act::Ack { by: Who::Op(8), note: "已受理".into() })
                    .at(
                        15,
                        Act::Escalate {
                            by: Who::Op(8), note: "交接：NVR 无法远程登录，需现场处理".into()
                        },
                    )
                    .at(
                        20,
                        Act::Assign {
                            by: Who::Op(8),
                            to: Pick::Person(Who::Tech(4)),
                            dispatch: true,
                            note: "派工程师到现场".into(),
                        },
                    )
                    .at(60, Act::Start { by: Some(Who::Tech(4)) })
                    .at(
                        200,
                        Act::Comment {
                            by: Some(Who::Tech(4)),
                            kind: "handover",
                            note: "交接：主板疑似故障，已联系厂家".into(),
                        },
                    )
                    .at(
                        510,
                        Act::Comment {
                            by: Some(Who::Tech(4)), kind: "comment", note: "厂家工程师已到场".into()
                        },
                    );
                p
            },
            now.plus(minutes(-570)),
        ));
        // 一般, waiting on a vendor for parts for a day and a half.
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::General, &GENERAL[17], c, Who::Op(0));
                p.at(20, Act::Ack { by: Who::Op(0), note: "已受理".into() })
                    .at(30, Act::Escalate { by: Who::Op(0), note: "交接：需现场检查".into() })
                    .at(
                        35,
                        Act::Assign {
                            by: Who::Op(0),
                            to: Pick::Person(Who::Tech(0)),
                            dispatch: true,
                            note: "派工程师到现场".into(),
                        },
                    )
                    .at(90, Act::Start { by: Some(Who::Tech(0)) })
                    .at(
                        200,
                        Act::Wait {
                            by: Some(Who::Tech(0)),
                            on: WaitingOn::Vendor,
                            note: "等待厂家备件（压缩机电容）".into(),
                        },
                    );
                p
            },
            now.plus(minutes(-2 * 1440 - 120)),
        ));
        // 严重, waiting on the carrier.
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::Severe, &SEVERE[9], c, Who::Op(4));
                p.at(5, Act::Ack { by: Who::Op(4), note: "已受理".into() })
                    .at(10, Act::Start { by: Some(Who::Op(4)) })
                    .at(
                        40,
                        Act::Wait {
                            by: Some(Who::Op(4)),
                            on: WaitingOn::Vendor,
                            note: "等待运营商排查专线中断".into(),
                        },
                    );
                p
            },
            now.plus(minutes(-300)),
        ));
        // 轻微, waiting on the reporter.
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::Minor, &MINOR[9], c, Who::Op(1));
                p.at(90, Act::Ack { by: Who::Op(1), note: "已受理".into() })
                    .at(100, Act::Start { by: Some(Who::Op(1)) })
                    .at(
                        130,
                        Act::Wait {
                            by: Some(Who::Op(1)),
                            on: WaitingOn::Reporter,
                            note: "请企业提供新增联系人授权书".into(),
                        },
                    );
                p
            },
            now.plus(minutes(-3 * 1440)),
        ));
        // 一般, resolved 20 hours ago, waiting for the reporter's confirmation.
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::General, &GENERAL[5], c, Who::Op(2));
                p.at(12, Act::Ack { by: Who::Op(2), note: "已受理".into() })
                    .at(20, Act::Escalate { by: Who::Op(2), note: "交接：需环境监测运营商现场标定".into() })
                    .at(
                        25,
                        Act::Assign {
                            by: Who::Op(2),
                            to: Pick::Vendor,
                            dispatch: true,
                            note: "派运营商工程师到现场".into(),
                        },
                    )
                    .at(120, Act::Start { by: None })
                    .at(300, Act::Resolve { by: None, note: GENERAL[5].7.into() });
                p
            },
            now.plus(minutes(-300 - 20 * 60)),
        ));
        // 轻微, resolved two days ago, not yet confirmed.
        out.push(self.live(
            &|g, c| {
                let mut p = g.tpl_plan(Level::Minor, &MINOR[0], c, Who::Op(1));
                p.at(60, Act::Ack { by: Who::Op(1), note: "已受理".into() })
                    .at(
                        65,
                        Act::Assign {
                            by: Who::Op(1),
                            to: Pick::Person(Who::Op(1)),
                            dispatch: false,
                            note: "一线处理".into(),
                        },
                    )
                    .at(70, Act::Start { by: None })
                    .at(600, Act::Resolve { by: None, note: MINOR[0].7.into() });
                p
            },
            now.plus(minutes(-600 - 50 * 60)),
        ));
        out
    }

    /// The ten scenarios of `shared/domain.md` §4.4, as they were handled.
    fn scenarios(&mut self) -> Vec<Hist> {
        let now = self.now;
        let op = Who::Op;
        let tech = Who::Tech;
        let vendor = Who::Vendor;
        let mut out = Vec::new();
        let base = |i: usize, level: Level, domain, mode, vendor_ix, created, desk: Who| Plan {
            created,
            level,
            kind: TicketKind::FaultReport,
            domain,
            mode,
            vendor: vendor_ix,
            title: SCENARIO_TITLES[i].to_owned(),
            description: String::new(),
            location: String::new(),
            affected: String::new(),
            reporter: Reporter::Monitor(desk),
            enterprise: None,
            desk,
            acts: Vec::new(),
        };

        // #1 致命: MQTT split-brain at night; acknowledged in 6 minutes, L2 then L3, ~3 h.
        let mut p = base(0, Level::Fatal, D::SafetyProduction, M::Remote, PLAT, cst_at(now, 63, 2, 17), op(7));
        p.description = "接入新鲜度告警：26 台网关 0 条/分钟；合成报警测试失败。虚拟化主机 HV-03 凌晨重启后，MQTT 集群（mq-01/02/03）出现两个分区各自选主。报警链路中断。".into();
        p.location = "园区数据中心 机房A".into();
        p.affected = "MQTT 集群 mq-01/02/03（EMQX）".into();
        p.at(6, Act::Ack { by: op(7), note: "已受理；语音呼叫 + 短信通知运维管理负责人".into() })
            .at(
                8,
                Act::Comment {
                    by: Some(op(7)),
                    kind: "comment",
                    note: "已电话联系 jb.manager，启动致命故障响应".into(),
                },
            )
            .at(10, Act::Start { by: Some(op(7)) })
            .at(
                20,
                Act::Escalate {
                    by: op(7), note: "交接：集群脑裂，两个分区各自选主，远程重启单节点无效".into()
                },
            )
            .at(24, Act::Assign { by: op(7), to: Pick::Person(tech(0)), dispatch: false, note: "二线接手".into() })
            .at(70, Act::Escalate { by: tech(0), note: "交接：集群元数据不一致，需平台厂家协助".into() })
            .at(75, Act::Assign { by: tech(0), to: Pick::Person(vendor(0)), dispatch: false, note: "三线接手".into() })
            .at(
                150,
                Act::Comment {
                    by: Some(vendor(0)),
                    kind: "comment",
                    note: "已隔离 mq-03 并重建集群，26 台网关恢复上报".into(),
                },
            )
            .at(
                178,
                Act::Resolve {
                    by: Some(vendor(0)),
                    note: "根因：主机重启后集群脑裂。已恢复并补传中断期间数据；已向省级平台报送数据中断情况说明".into(),
                },
            )
            .at(9 * 60, Act::Confirm { by: op(7), note: "复盘会已召开，事后复盘报告已归档".into() });
        out.push(self.realise(p));

        // #2 严重: a 二级 enterprise's gateway offline 3 h, SIM suspended for arrears.
        let created = cst_at(now, 77, 9, 40);
        let mut p = base(1, Level::Severe, D::SafetyProduction, M::Remote, CARRIER, created, op(1));
        p.enterprise = Some(self.enterprise_org(2));
        p.description = format!(
            "网关 last_seen 超过 5 分钟；82 个点位数据停更。企业：{}。归因：企业/运营商。",
            self.roster.enterprises[2]
        );
        p.location = format!("{} 机柜间", self.roster.enterprises[2]);
        p.affected = "边缘网关 GW-E03 / 4G 物联网卡 SIM-03".into();
        p.at(8, Act::Ack { by: op(1), note: "已受理".into() })
            .at(10, Act::Start { by: Some(op(1)) })
            .at(
                15,
                Act::Comment {
                    by: Some(op(1)), kind: "comment", note: "已通过企业微信通知企业联系人".into()
                },
            )
            .at(
                22,
                Act::Assign {
                    by: op(1), to: Pick::Person(vendor(14)), dispatch: false, note: "运营商核查".into()
                },
            )
            .at(
                25,
                Act::Wait {
                    by: Some(op(1)),
                    on: WaitingOn::Vendor,
                    note: "运营商核实：物联网卡欠费停机，待企业缴费复机".into(),
                },
            )
            .at(170, Act::Resume { by: Some(op(1)), note: "已复机".into() })
            .at(
                182,
                Act::Resolve {
                    by: Some(op(1)), note: "网关恢复在线，离线约 3 小时；在线率归因记为运营商/企业".into()
                },
            )
            .at(26 * 60, Act::Confirm { by: op(1), note: "监控确认恢复正常".into() });
        out.push(self.realise(p));

        // #3 严重: CEMS SO₂ invalid; environmental O&M supplier dispatched, calibrated.
        let mut p = base(2, Level::Severe, D::Environmental, M::OnSite, ENVOP, cst_at(now, 55, 6, 0), op(8));
        p.enterprise = Some(self.enterprise_org(4));
        p.description = "数采仪 Flag 连续为 D/C；SO₂ 有效小时数不足 20，日均值无效。".into();
        p.location = format!("{} 废气排口 DA001", self.roster.enterprises[4]);
        p.affected = "CEMS SO₂ 分析仪（抽取式）/ 数采仪 DL-E05".into();
        p.at(12, Act::Ack { by: op(8), note: "已受理".into() })
            .at(20, Act::Escalate { by: op(8), note: "交接：需环境监测运营商现场校准".into() })
            .at(
                26,
                Act::Assign {
                    by: op(8),
                    to: Pick::Person(vendor(6)),
                    dispatch: true,
                    note: "派运营商工程师到现场".into(),
                },
            )
            .at(90, Act::Start { by: Some(vendor(6)) })
            .at(
                300,
                Act::Comment {
                    by: Some(vendor(6)),
                    kind: "comment",
                    note: "现场确认抽取式分析仪零点漂移，已完成零点/量程校准，校准记录已提交".into(),
                },
            )
            .at(
                420,
                Act::Resolve {
                    by: Some(vendor(6)), note: "数据恢复有效；当月传输有效率下降，已在月报中说明".into()
                },
            )
            .at(30 * 60, Act::Confirm { by: op(8), note: "监控确认数据有效".into() });
        out.push(self.realise(p));

        // #4 一般: H₂S detector frozen; the enterprise repairs and re-verifies (JJG 693).
        let mut p = base(3, Level::General, D::SafetyProduction, M::OnSite, GASDET, cst_at(now, 30, 10, 20), op(0));
        p.enterprise = Some(self.enterprise_org(11));
        p.description =
            "数据质量规则“平直线”命中：H₂S 探测器读数 0.0 持续 36 小时；计量台账显示检定逾期 40 天。".into();
        p.location = format!("{} 储罐区", self.roster.enterprises[11]);
        p.affected = "有毒气体探测器 TD-118 / GDS / 边缘网关".into();
        p.at(30, Act::Ack { by: op(0), note: "已受理".into() })
            .at(35, Act::Start { by: Some(op(0)) })
            .at(
                60,
                Act::Comment {
                    by: Some(op(0)),
                    kind: "comment",
                    note: "已书面通知企业维修并按 JJG 693 重新检定".into(),
                },
            )
            .at(120, Act::Wait { by: Some(op(0)), on: WaitingOn::Reporter, note: "等待企业维修和检定".into() })
            .at(3 * 1440 + 60, Act::Resume { by: Some(op(0)), note: "企业已提交检定证书".into() })
            .at(
                3 * 1440 + 120,
                Act::Resolve {
                    by: Some(op(0)), note: "企业更换传感器并完成检定；园区抽查记录已存档".into()
                },
            )
            .at(4 * 1440, Act::Confirm { by: op(0), note: "复核数据正常".into() });
        out.push(self.realise(p));

        // #5 严重: NVR RAID failure; disks replaced, old disks to media disposal.
        let mut p = base(4, Level::Severe, D::SafetyProduction, M::OnSite, VIDEO, cst_at(now, 48, 23, 10), op(9));
        p.description = "NVR SNMP 磁盘告警；录像完整性检查：38 路摄像机无录像。".into();
        p.location = "综合服务区 视频机房".into();
        p.affected = "NVR-07（38 路）".into();
        p.at(9, Act::Ack { by: op(9), note: "已受理".into() })
            .at(15, Act::Escalate { by: op(9), note: "交接：RAID 降级后第二块盘故障，需现场更换".into() })
            .at(
                20,
                Act::Assign {
                    by: op(9), to: Pick::Person(tech(3)), dispatch: true, note: "派工程师到现场".into()
                },
            )
            .at(60, Act::Start { by: Some(tech(3)) })
            .at(80, Act::Wait { by: Some(tech(3)), on: WaitingOn::Vendor, note: "等待视频厂家备盘".into() })
            .at(11 * 60, Act::Resume { by: Some(tech(3)), note: "备盘到货".into() })
            .at(
                14 * 60,
                Act::Resolve {
                    by: Some(tech(3)),
                    note: "更换 2 块硬盘并重建阵列，录像恢复；录像缺口 14 小时已登记，故障盘移交介质销毁".into(),
                },
            )
            .at(20 * 60, Act::Confirm { by: op(9), note: "抽查录像正常".into() });
        out.push(self.realise(p));

        // #6 一般: ANPR misreads in fog at checkpoint 2.
        let mut p = base(5, Level::General, D::ClosedArea, M::OnSite, GATE, cst_at(now, 20, 6, 40), op(7));
        p.reporter =
            Reporter::Call { name: "2 号卡口值班岗 李师傅".into(), phone: "0510-86620002".into(), by: op(7) };
        p.description =
            "大雾，2 号卡口车牌识别准确率低于 90% 已 2 小时；危化品车辆无法匹配电子运单，保安人工开闸。".into();
        p.location = "2 号卡口".into();
        p.affected = "ANPR 相机 / 车道 / 电子运单接口".into();
        p.at(12, Act::Ack { by: op(7), note: "已受理；启用临时人工核验流程".into() })
            .at(30, Act::Escalate { by: op(7), note: "交接：需调整相机参数".into() })
            .at(
                35,
                Act::Assign {
                    by: op(7), to: Pick::Person(tech(5)), dispatch: true, note: "派工程师到现场".into()
                },
            )
            .at(80, Act::Start { by: Some(tech(5)) })
            .at(
                150,
                Act::Comment {
                    by: Some(tech(5)),
                    kind: "comment",
                    note: "已调整曝光与红外补光，并向卡口厂家提交工单".into(),
                },
            )
            .at(
                160,
                Act::Assign {
                    by: tech(5),
                    to: Pick::Person(vendor(4)),
                    dispatch: false,
                    note: "卡口厂家优化识别算法".into(),
                },
            )
            .at(
                1440 + 180,
                Act::Resolve {
                    by: Some(vendor(4)), note: "升级识别算法版本，雾天准确率恢复到 97%".into()
                },
            )
            .at(2 * 1440, Act::Confirm { by: op(7), note: "电话回访：卡口确认恢复".into() });
        out.push(self.realise(p));

        // #7 严重 → 致命: TSDB volume full; late response, breached and escalated twice.
        let mut p = base(6, Level::Fatal, D::SafetyProduction, M::Remote, PLAT, cst_at(now, 41, 14, 5), op(2));
        p.description = "时序库磁盘使用率 >90% 预警未处理，现卷已满，写入失败，大屏与报警数据停止刷新。".into();
        p.location = "园区数据中心".into();
        p.affected = "时序数据库 tsdb-01 / 存储阵列 SAN-01".into();
        p.at(
            18,
            Act::Comment {
                by: Some(op(2)),
                kind: "comment",
                note: "级别由严重升级为致命：报警数据入库延迟，影响报警跟踪".into(),
            },
        )
        .at(22, Act::Ack { by: op(2), note: "已受理".into() })
        .at(24, Act::Assign { by: op(2), to: Pick::Person(tech(1)), dispatch: false, note: "二线接手".into() })
        .at(28, Act::Start { by: None })
        .at(
            60,
            Act::Comment {
                by: Some(tech(1)), kind: "comment", note: "紧急变更：在线扩容卷 2 TB → 4 TB".into()
            },
        )
        .at(
            290,
            Act::Resolve {
                by: None, note: "扩容完成，写入恢复；保留策略调整为 180 天后降采样".into()
            },
        )
        .at(20 * 60, Act::Confirm { by: op(2), note: "监控确认数据刷新正常".into() });
        out.push(self.realise(p));

        // #8 严重 (security): SMB scanning from an enterprise segment.
        let mut p = base(7, Level::Severe, D::NetworkSecurity, M::Remote, SEC, cst_at(now, 34, 15, 30), op(1));
        p.enterprise = Some(self.enterprise_org(7));
        p.description =
            format!("IDS 告警 + 日志审计：{} 网段向园区 DMZ 发起 SMB（445）扫描。", self.roster.enterprises[7]);
        p.location = "园区 DMZ".into();
        p.affected = "防火墙 FW-01 / 网闸 / IDS-01".into();
        p.at(5, Act::Ack { by: op(1), note: "已受理".into() })
            .at(10, Act::Escalate { by: op(1), note: "交接：安全事件，需隔离".into() })
            .at(12, Act::Assign { by: op(1), to: Pick::Person(tech(2)), dispatch: false, note: "二线接手".into() })
            .at(15, Act::Start { by: Some(tech(2)) })
            .at(
                25,
                Act::Comment {
                    by: Some(tech(2)), kind: "comment", note: "已在防火墙阻断该网段 445 端口并隔离".into()
                },
            )
            .at(
                40,
                Act::Comment {
                    by: Some(tech(2)),
                    kind: "comment",
                    note: "已通知企业和园区安监局；已导出取证日志".into(),
                },
            )
            .at(60, Act::Escalate { by: tech(2), note: "交接：需安全厂家做漏洞扫描".into() })
            .at(65, Act::Assign { by: tech(2), to: Pick::Person(vendor(12)), dispatch: false, note: "三线接手".into() })
            .at(
                300,
                Act::Resolve {
                    by: Some(vendor(12)),
                    note: "企业终端感染蠕虫已清除；漏洞扫描完成，安全台账已登记".into(),
                },
            )
            .at(1440, Act::Confirm { by: op(1), note: "复查无异常流量".into() });
        out.push(self.realise(p));

        // #9 一般: data logger clock +9 min.
        let mut p = base(8, Level::General, D::Environmental, M::Remote, ENVOP, cst_at(now, 15, 10, 5), op(3));
        p.enterprise = Some(self.enterprise_org(9));
        p.description =
            "时间偏差规则：数采仪时间比接收时间快 9 分钟，小时数据包被上级平台拒收；未见 CN 1013 校时请求。".into();
        p.location = format!("{} 废水排口 DW001", self.roster.enterprises[9]);
        p.affected = "数采仪 DL-E10（HJ 212）".into();
        p.at(40, Act::Ack { by: op(3), note: "已受理".into() })
            .at(45, Act::Start { by: Some(op(3)) })
            .at(60, Act::Comment { by: Some(op(3)), kind: "comment", note: "远程下发 CN 1012 校时".into() })
            .at(
                180,
                Act::Resolve {
                    by: Some(op(3)), note: "已校时并开启 NTP；以 CN 2061 补传历史数据".into()
                },
            )
            .at(72 * 60 + 180, Act::AutoClose);
        out.push(self.realise(p));

        // #10 严重: alarm storm after a power dip; DingTalk throttled.
        let mut p = base(9, Level::Severe, D::SafetyProduction, M::Remote, PLAT, cst_at(now, 12, 19, 48), op(5));
        p.description = "电压暂降后 10 分钟内 600 条告警；钉钉机器人返回限流错误（20 条/分钟，封禁 10 分钟），值班人员漏看致命告警。".into();
        p.location = "园区数据中心".into();
        p.affected = "通知服务 / 钉钉机器人".into();
        p.at(4, Act::Ack { by: op(5), note: "已受理".into() })
            .at(
                6,
                Act::Comment {
                    by: Some(op(5)), kind: "comment", note: "钉钉机器人返回限流错误，改电话通知".into()
                },
            )
            .at(10, Act::Escalate { by: op(5), note: "交接：通知服务需调整".into() })
            .at(14, Act::Assign { by: op(5), to: Pick::Person(tech(0)), dispatch: false, note: "二线接手".into() })
            .at(16, Act::Start { by: Some(tech(0)) })
            .at(
                40,
                Act::Comment {
                    by: Some(tech(0)), kind: "comment", note: "已切换摘要模式并启用短信兜底".into()
                },
            )
            .at(
                120,
                Act::Resolve {
                    by: Some(tech(0)), note: "告警已收敛；已提交变更：按渠道限流与去重".into()
                },
            )
            .at(14 * 60, Act::Confirm { by: op(5), note: "确认".into() });
        out.push(self.realise(p));
        out
    }
}

/// The demo history for `now`: deterministic, numbered, ready to store.
pub(crate) fn generate(now: Timestamp, roster: &Roster, park: ParkId, cfg: &DeskConfig) -> Vec<Hist> {
    let mut g = Gen { rng: Rng(SEED), roster, cfg, park, now };
    let mut out = g.scenarios();
    let live = g.live_tickets();
    let mut left: BTreeMap<Level, usize> = LEVEL_COUNTS.into_iter().collect();
    for h in out.iter().chain(&live) {
        if let Some(n) = left.get_mut(&h.ticket.level) {
            *n = n.saturating_sub(1);
        }
    }
    out.extend(live);
    for (level, n) in left {
        let templates: &[Tpl] = match level {
            Level::Fatal | Level::Severe => &SEVERE,
            Level::General => &GENERAL,
            Level::Minor => &MINOR,
            Level::Suggestion => &SUGGESTIONS,
        };
        for i in 0..n {
            let tpl = &templates[if i < templates.len() { i } else { g.rng.below(templates.len()) }];
            let day = g.rng.between(1, 90);
            let (h, m) = match level {
                Level::Fatal | Level::Severe => (g.rng.between(0, 24), g.rng.between(0, 60)),
                _ if g.rng.chance(75) => (g.rng.between(8, 18), g.rng.between(0, 60)),
                _ => (g.rng.between(0, 24), g.rng.between(0, 60)),
            };
            let created = cst_at(now, day, u32::try_from(h).unwrap_or(9), u32::try_from(m).unwrap_or(0))
                .plus(Duration::seconds(g.rng.between(0, 60)));
            let plan = g.historic(level, tpl, created.min(now.plus(minutes(-24 * 60))));
            out.push(g.realise(plan));
        }
    }
    number(&mut out, DEMO_PARK_CODE);
    out
}

/// Numbers tickets as `App::open_ticket` does: park code, CST creation day, sequence of the day.
fn number(tickets: &mut [Hist], code: &str) {
    tickets.sort_by_key(|h| (h.ticket.created_at, h.ticket.id));
    let mut per_day: BTreeMap<String, u32> = BTreeMap::new();
    for h in tickets {
        let day = h.ticket.created_at.to_cst().format("%Y%m%d").to_string();
        let n = per_day.entry(day.clone()).or_default();
        *n += 1;
        h.ticket.number = format!("{code}{day}{n:04}");
    }
}

/// The SLA policy document, in the form `App::update_sla_policy` stores.
fn policy_json(sla: &SlaPolicy, calendar: &WorkingCalendar, auto_close: Duration) -> Value {
    let targets: serde_json::Map<String, Value> = sla
        .targets
        .iter()
        .map(|(l, t)| {
            (
                l.code().to_owned(),
                json!({ "response_minutes": t.response.num_minutes(), "resolve_minutes": t.resolve.num_minutes(), "coverage": t.coverage.code() }),
            )
        })
        .collect();
    json!({
        "targets": targets, "warn_percent": sla.warn_percent,
        "day_start": calendar.day_start.format("%H:%M").to_string(), "day_end": calendar.day_end.format("%H:%M").to_string(),
        "auto_close_hours": auto_close.num_hours(),
    })
}

fn schedule_json(s: &YearSchedule) -> Value {
    let dates =
        |d: &BTreeSet<chrono::NaiveDate>| d.iter().map(|x| x.format("%Y-%m-%d").to_string()).collect::<Vec<_>>();
    json!({ "holidays": dates(&s.holidays), "makeup_days": dates(&s.makeup_days) })
}

impl App {
    async fn demo_roster(&self, park: ParkId) -> Result<Roster, AppError> {
        let all = PageRequest { page: 1, per_page: 10_000 };
        let users = self.store.users(&UserFilter { park_id: Some(park), ..UserFilter::default() }, all).await?.items;
        let orgs = self.store.orgs(&OrgFilter { park_id: Some(park), ..OrgFilter::default() }, all).await?.items;
        let by_name: BTreeMap<&str, &UserRecord> = users.iter().map(|u| (u.username.as_str(), u)).collect();
        let group = |prefix: &str, n: usize| -> Result<Vec<Person>, AppError> {
            (1..=n)
                .map(|i| by_name.get(format!("{prefix}{i:02}").as_str()).map(|u| Person::of(u)))
                .collect::<Option<Vec<_>>>()
                .ok_or(AppError::NotFound)
        };
        let contacts = group("jb.ent", 36)?;
        let enterprises = contacts
            .iter()
            .step_by(2)
            .map(|c| {
                let name = orgs.iter().find(|o| o.id == c.org).map_or("", |o| o.name.as_str());
                name.trim_start_matches("江滨").trim_end_matches("有限公司").to_owned()
            })
            .collect();
        Ok(Roster {
            ops: group("jb.op", 10)?,
            techs: group("jb.tech", 8)?,
            vendors: group("jb.vendor", 18)?,
            contacts,
            units: group("jb.unit", 10)?,
            enterprises,
        })
    }

    /// Loads the demo park's service desk: support lines, the SLA policy and 2026 calendar
    /// (when none is stored), and 90 days of tickets ending now, in one transaction with an
    /// audit record for each object. Called by [`App::load_demo`] once the people exist; does
    /// nothing when the park already has tickets.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when the demo accounts are missing; [`AppError::Unavailable`].
    pub async fn load_demo_desk(&self, caller: &Caller, park: ParkId) -> Result<(), AppError> {
        let any = TicketFilter { park_id: Some(park), ..TicketFilter::default() };
        if !self.store.tickets_all(&any, 1).await?.is_empty() {
            return Ok(());
        }
        let roster = self.demo_roster(park).await?;
        let now = self.clock.now();
        let stored_policy = self.store.sla_policy().await?;
        let has_2026 = self.store.calendars().await?.iter().any(|c| c.year == 2026);
        let mut cfg = self.desk_config().await?;
        cfg.version = stored_policy.as_ref().map_or(1, |(v, _)| *v);
        if !has_2026 {
            cfg.calendar.years.insert(2026, YearSchedule::official_2026());
        }
        let history = generate(now, &roster, park, &cfg);
        let by = caller.principal.as_ref().map_or_else(|| "system".to_owned(), |p| p.username.clone());

        let mut tx = self.store.begin().await?;
        let lines = [
            (SupportLine::L1, "运维保障组", &roster.ops[0], &roster.ops),
            (SupportLine::L2, "运维支持组", &roster.techs[0], &roster.techs),
            (SupportLine::L3, "运维工程师组", &roster.techs[7], &roster.vendors),
        ];
        for (line, name, lead, members) in lines {
            let rec = SupportLineRecord {
                park_id: park,
                line,
                name: name.to_owned(),
                lead_user_id: Some(lead.id),
                members: members.iter().map(|m| m.id).collect(),
            };
            tx.put_support_line(&rec).await?;
            let detail = json!({
                "line": line.code(), "name": name, "lead": lead.id.to_string(),
                "members": rec.members.iter().map(ToString::to_string).collect::<Vec<_>>(), "demo": true,
            });
            tx.audit(
                caller.entry("support_line.update", "support_line", line.code(), Outcome::Success, detail.to_string()),
                now,
            )
            .await?;
        }
        if stored_policy.is_none() {
            let mut doc = policy_json(&cfg.sla, &cfg.calendar, cfg.auto_close);
            tx.insert_sla_policy(1, &doc.to_string(), &by, now).await?;
            doc["demo"] = json!(true);
            tx.audit(caller.entry("sla_policy.update", "sla_policy", "1", Outcome::Success, doc.to_string()), now)
                .await?;
        }
        if !has_2026 {
            let body = schedule_json(&YearSchedule::official_2026());
            let rec = CalendarRecord {
                year: 2026,
                version: 1,
                body: body.to_string(),
                created_by: by.clone(),
                created_at: now,
            };
            tx.insert_calendar(&rec).await?;
            let mut detail = body;
            detail["demo"] = json!(true);
            tx.audit(caller.entry("calendar.update", "calendar", "2026", Outcome::Success, detail.to_string()), now)
                .await?;
        }
        for h in &history {
            let t = &h.ticket;
            tx.insert_ticket(t).await?;
            for e in &h.events {
                tx.append_ticket_event(e).await?;
            }
            for p in &h.pauses {
                tx.start_pause(t.id, p.start).await?;
                if let Some(end) = p.end {
                    tx.end_pause(t.id, end).await?;
                }
            }
            let detail = json!({
                "number": t.number, "kind": t.kind.code(), "level": t.level.code(), "state": ticket::state_code(&t.state),
                "line": t.line.code(), "assignee": t.assignee_user_id.map(|u| u.to_string()), "title": t.title,
                "opened_at": t.created_at.rfc3339(), "events": h.events.len(), "demo": true,
            });
            tx.audit(
                caller.entry("ticket.open", "ticket", &t.id.to_string(), Outcome::Success, detail.to_string()),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(username: String, org: OrgId) -> Person {
        Person {
            id: UserId::from_uuid(uuid::Uuid::now_v7()),
            name: format!("{username} 姓名"),
            phone: "13900000000".into(),
            username,
            org,
        }
    }

    fn roster() -> Roster {
        let om = OrgId::from_uuid(uuid::Uuid::now_v7());
        let group = |prefix: &str, n: usize| (1..=n).map(|i| person(format!("{prefix}{i:02}"), om)).collect::<Vec<_>>();
        let ents: Vec<OrgId> = (0..18).map(|_| OrgId::from_uuid(uuid::Uuid::now_v7())).collect();
        Roster {
            ops: group("jb.op", 10),
            techs: group("jb.tech", 8),
            vendors: group("jb.vendor", 18),
            contacts: (0..36).map(|i| person(format!("jb.ent{:02}", i + 1), ents[i / 2])).collect(),
            units: group("jb.unit", 10),
            enterprises: (0..18).map(|i| format!("企业{i}化工")).collect(),
        }
    }

    fn config() -> DeskConfig {
        DeskConfig {
            version: 1,
            sla: SlaPolicy::default(),
            calendar: WorkingCalendar::default(),
            auto_close: Duration::hours(72),
        }
    }

    /// 2026-11-25 10:00 CST (a Wednesday), 2026-10-03 15:00 CST (National Day), 2026-01-01 08:00 CST.
    const NOWS: [i64; 3] = [1_795_572_000_000, 1_791_010_800_000, 1_767_225_600_000];

    fn history(now: i64) -> Vec<Hist> {
        let park = ParkId::from_uuid(uuid::Uuid::now_v7());
        generate(Timestamp::from_millis(now), &roster(), park, &config())
    }

    #[test]
    fn the_history_has_the_levels_scenarios_and_unique_numbers() {
        for now in NOWS {
            let h = history(now);
            for (level, n) in LEVEL_COUNTS {
                assert_eq!(h.iter().filter(|x| x.ticket.level == level).count(), n, "{level:?}");
            }
            for title in SCENARIO_TITLES {
                assert_eq!(h.iter().filter(|x| x.ticket.title == title).count(), 1, "{title}");
            }
            let numbers: BTreeSet<_> = h.iter().map(|x| x.ticket.number.clone()).collect();
            assert_eq!(numbers.len(), h.len());
            for x in &h {
                let day = x.ticket.created_at.to_cst().format("%Y%m%d").to_string();
                assert!(x.ticket.number.starts_with(&format!("JB{day}")), "{}", x.ticket.number);
                assert_eq!(x.ticket.number.len(), 14);
                assert!(x.ticket.title.chars().count() <= 100 && !x.ticket.title.contains('{'), "{}", x.ticket.title);
                assert!(!x.ticket.location.contains('{') && !x.ticket.affected.contains('{'));
            }
        }
    }

    #[test]
    fn every_timeline_is_ordered_in_the_past_and_matches_the_record() {
        for now in NOWS {
            let now_ts = Timestamp::from_millis(now);
            let from = now_ts.plus(Duration::days(-91));
            for x in history(now) {
                let t = &x.ticket;
                assert!(t.created_at >= from && t.created_at <= now_ts, "{}", t.number);
                assert_eq!(x.events[0].kind, "created");
                assert!(x.events.windows(2).all(|w| w[0].at <= w[1].at), "{}", t.number);
                assert!(x.events.iter().all(|e| e.at <= now_ts));
                assert_eq!(x.events.last().map(|e| e.at), Some(t.updated_at));
                // The last state transition names the state the record is in.
                let last = x.events.iter().rev().find(|e| e.from_state != e.to_state && e.kind != "escalated");
                let last = last.map_or("new", |e| e.to_state.as_str());
                assert_eq!(last, ticket::state_code(&t.state), "{}", t.number);
                assert_eq!(t.rating.is_some(), x.events.iter().any(|e| e.kind == "rated"));
                // Flags and timeline agree: one event per flag.
                let count =
                    |k: &str, clock: &str| x.events.iter().filter(|e| e.kind == k && e.note.starts_with(clock)).count();
                assert_eq!(t.sla_flags[0], count("sla_warning", "response") == 1, "{}", t.number);
                assert_eq!(t.sla_flags[1], count("sla_breach", "response") == 1, "{}", t.number);
                assert_eq!(t.sla_flags[2], count("sla_warning", "resolve") == 1, "{}", t.number);
                assert_eq!(t.sla_flags[3], count("sla_breach", "resolve") == 1, "{}", t.number);
                // Pauses are ordered, and only the waiting state has an open one.
                assert!(x.pauses.windows(2).all(|w| w[0].end.is_some_and(|e| e <= w[1].start)));
                let open_pause = x.pauses.last().is_some_and(|p| p.end.is_none());
                assert_eq!(open_pause, matches!(t.state, TicketState::Waiting { .. }), "{}", t.number);
                // Resolved tickets still waiting for confirmation are younger than the automatic close.
                if let TicketState::Resolved { at } = t.state {
                    assert!(at > now_ts.plus(Duration::hours(-72)), "{}", t.number);
                }
            }
        }
    }

    #[test]
    fn the_watcher_finds_nothing_due_now_or_within_the_quiet_time() {
        let cfg = config();
        for now in NOWS {
            let h = history(now);
            let soon = Timestamp::from_millis(now).plus(minutes(QUIET));
            for x in &h {
                assert!(quiet_at(x, &cfg.sla, &cfg.calendar, soon), "{} {:?}", x.ticket.number, x.ticket.state);
            }
            let open = h.iter().filter(|x| ticket::is_open(&x.ticket.state)).count();
            assert!((6..=12).contains(&open), "{open} open");
            assert!(h.iter().any(|x| x.ticket.state == TicketState::New));
            assert!(h.iter().any(|x| x.ticket.state == TicketState::Acknowledged));
            assert!(h.iter().any(|x| x.ticket.state == TicketState::InProgress));
            assert!(h.iter().any(|x| matches!(x.ticket.state, TicketState::Waiting { on: WaitingOn::Vendor, .. })));
            assert!(h.iter().filter(|x| matches!(x.ticket.state, TicketState::Resolved { .. })).count() >= 2);
            let closed = h.iter().filter(|x| matches!(x.ticket.state, TicketState::Closed { .. })).count();
            assert!(closed > 100, "{closed} closed");
            assert!(h.iter().filter(|x| x.ticket.rating.is_some()).count() > 20);
            let breached = h.iter().filter(|x| x.ticket.sla_flags[1] || x.ticket.sla_flags[3]).count();
            assert!((3..=25).contains(&breached), "{breached} breached");
        }
    }

    #[test]
    fn scenarios_one_and_seven_run_their_course() {
        let h = history(NOWS[0]);
        let find = |i: usize| h.iter().find(|x| x.ticket.title == SCENARIO_TITLES[i]).expect("scenario");
        let one = find(0);
        assert_eq!(one.ticket.level, Level::Fatal);
        let ack = one.ticket.acknowledged_at.expect("ack").since(one.ticket.created_at);
        assert!(ack <= Duration::minutes(15));
        let fixed = one.ticket.resolved_at.expect("resolved").since(one.ticket.created_at);
        assert!(fixed > Duration::hours(2) && fixed < Duration::hours(4));
        assert_eq!(one.ticket.line, SupportLine::L3);
        assert_eq!(one.ticket.sla_flags, [false; 4]);
        let seven = find(6);
        assert_eq!(seven.ticket.level, Level::Fatal);
        assert_eq!(seven.ticket.sla_flags, [true; 4]);
        assert!(seven.events.iter().filter(|e| e.kind == "escalated" && e.actor == "system").count() >= 2);
        let ten = find(9);
        assert!(matches!(ten.ticket.state, TicketState::Closed { .. }));
    }

    #[test]
    fn the_history_is_the_same_every_time() {
        let key = |h: Vec<Hist>| {
            h.into_iter()
                .map(|x| (x.ticket.number, x.ticket.title, x.ticket.created_at, x.events.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(history(NOWS[0])), key(history(NOWS[0])));
    }

    #[test]
    fn the_policy_document_reads_back_as_the_defaults() {
        let cfg = config();
        let doc = policy_json(&cfg.sla, &cfg.calendar, cfg.auto_close);
        let (sla, start, end, auto) = crate::desk::policy_from_json(&doc).expect("valid");
        assert_eq!(sla, SlaPolicy::default());
        assert_eq!((start, end, auto), (cfg.calendar.day_start, cfg.calendar.day_end, cfg.auto_close));
    }
}
